"""RFM: recency, frequency and monetary scores 1-5 against the population, and named segments."""

from __future__ import annotations

import numpy as np

from services.scoring.model.btyd import Array
from services.scoring.model.history import History

RFM_DIMENSIONS = ("recency", "frequency", "monetary")

# Named RFM segments, first match wins: (name, R range, F range, M range), ranges inclusive.
SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal", (3, 5), (4, 5), (1, 5)),
    ("Can't lose them", (1, 2), (4, 5), (4, 5)),
    ("At risk", (1, 2), (3, 5), (1, 5)),
    ("Potential loyalists", (4, 5), (2, 3), (1, 5)),
    ("New customers", (5, 5), (1, 1), (1, 5)),
    ("Promising", (4, 4), (1, 1), (1, 5)),
    ("Need attention", (3, 3), (2, 3), (1, 5)),
    ("About to sleep", (3, 3), (1, 1), (1, 5)),
    ("Hibernating", (2, 2), (1, 2), (1, 5)),
    ("Lost", (1, 1), (1, 2), (1, 5)),
)
NO_PURCHASE_SEGMENT = "No purchase"


def rfm_edges(h: History) -> dict[str, list[float]]:
    """Quintile edges (20/40/60/80 %) of each RFM dimension over customers who bought."""
    buyers = h.purchase_days > 0
    if not np.any(buyers):
        return {d: [] for d in RFM_DIMENSIONS}
    qs = [0.2, 0.4, 0.6, 0.8]
    return {
        "recency": [float(v) for v in np.quantile(h.recency_days[buyers], qs)],
        "frequency": [float(v) for v in np.quantile(h.purchase_days[buyers], qs)],
        "monetary": [float(v) for v in np.quantile(h.net_spend[buyers], qs)],
    }


def has_edges(edges: dict[str, list[float]]) -> bool:
    """True when every dimension has edges (a fit saw buyers)."""
    return all(edges.get(d) for d in RFM_DIMENSIONS)


def rfm_scores(h: History, edges: dict[str, list[float]]) -> tuple[Array, Array, Array]:
    """R, F, M scores 1-5: one point per population edge beaten, so equal values score equal."""
    r_edges = np.asarray(edges["recency"], dtype=np.float64)
    f_edges = np.asarray(edges["frequency"], dtype=np.float64)
    m_edges = np.asarray(edges["monetary"], dtype=np.float64)
    # Recency counts edges the customer is more recent than (fewer days is better).
    r = 1 + (h.recency_days[:, None] < r_edges[None, :]).sum(axis=1)
    f = 1 + (h.purchase_days[:, None] > f_edges[None, :]).sum(axis=1)
    m = 1 + (h.net_spend[:, None] > m_edges[None, :]).sum(axis=1)
    return r.astype(np.float64), f.astype(np.float64), m.astype(np.float64)


def rfm_segment(r: int, f: int, m: int) -> str:
    """The named segment of an RFM cell (first matching rule of SEGMENT_RULES)."""
    for name, (r0, r1), (f0, f1), (m0, m1) in SEGMENT_RULES:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "Others"


# The segment of every cell, scores 1-5 each: SEGMENT_TABLE[r - 1, f - 1, m - 1].
SEGMENT_TABLE = np.array(
    [[[rfm_segment(r, f, m) for m in range(1, 6)] for f in range(1, 6)] for r in range(1, 6)],
    dtype=object,
)


def rfm_segments(scores: tuple[Array, Array, Array]) -> list[str]:
    """The named segment of each customer's R, F, M scores (as `rfm_scores` gives them)."""
    r, f, m = (np.asarray(a, dtype=np.intp) - 1 for a in scores)
    segments: list[str] = SEGMENT_TABLE[r, f, m].tolist()
    return segments

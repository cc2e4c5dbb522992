"""The screen pop as the agent's desktop gets it: contact's pop plus the customer 360 summary.

Contact's offer carries what contact knows (who is calling, tier, last contacts). The desktop
also needs what the other services know — open complaints with their SLA clocks, the score with
the reasons behind the churn risk — so the stream gathers those parts of the customer 360, with
the agent's own permissions, before it delivers the offer. Within the deadline it delivers what
it has: a part whose service is down, slow or refuses is null and named in `partial`.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.gateway.customer360.service import gather_360, open_complaints, parts_of
from shared.identity import Identity

OFFERED = "contact.contact_offered"
SCREEN_POP_PARTS = ("score", "complaints")


def customer_of(envelope: dict[str, Any]) -> uuid.UUID | None:
    """The customer of an offer's screen pop, when the offer is one and names them."""
    if envelope.get("type") != OFFERED:
        return None
    pop = (envelope.get("data") or {}).get("screen_pop") or {}
    try:
        return uuid.UUID(str(pop["customer_id"])) if pop.get("customer_id") else None
    except ValueError:
        return None


async def enriched(
    envelope: dict[str, Any],
    *,
    client: httpx.AsyncClient,
    person: Identity,
    upstreams: dict[str, str],
    secret: str,
    deadline: float,
) -> dict[str, Any]:
    """`envelope` with `data.screen_pop.customer_360` added (a copy; offers of known customers
    only): the score, the open complaints, and which parts are missing and why."""
    customer_id = customer_of(envelope)
    if customer_id is None:
        return envelope
    gathered = await gather_360(
        client,
        customer_id,
        caller=person,
        upstreams=upstreams,
        secret=secret,
        deadline=deadline,
        request_id=None,
        parts=[p for p in parts_of(customer_id) if p.name in SCREEN_POP_PARTS],
    )
    summary = {
        "score": gathered.found.get("score"),
        "open_complaints": open_complaints(gathered.found.get("complaints")),
        "partial": sorted(gathered.missing),
        "missing": gathered.missing,
    }
    data = envelope["data"]
    pop = {**data["screen_pop"], "customer_360": summary}
    return {**envelope, "data": {**data, "screen_pop": pop}}

"""Complaints' own series: SLA warnings and breaches per stage, open complaints."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client.core import Metric
from sqlalchemy import func, select

from services.complaints.models import Complaint
from shared.metrics import counter

_STAGES = {
    "acknowledgement": (Complaint.acknowledgement_warned, Complaint.acknowledgement_breached_at),
    "first_response": (Complaint.first_response_warned, Complaint.first_response_breached_at),
    "resolution": (Complaint.resolution_warned, Complaint.resolution_breached_at),
}


async def sla_metrics(app: FastAPI) -> list[Metric]:
    """Complaints that got an SLA warning, and that breached their SLA, per stage.

    Counted from the database, so every replica reports the same numbers: aggregate with max.
    """
    warnings = counter(
        "rapport_complaints_sla_warnings", "Complaints warned of an SLA deadline.", ["stage"]
    )
    breaches = counter(
        "rapport_complaints_sla_breaches", "Complaints that breached an SLA.", ["stage"]
    )
    async with app.state.db.read_sessionmaker() as session:
        for stage, (warned, breached_at) in _STAGES.items():
            row = (
                await session.execute(
                    select(
                        func.count().filter(warned.is_(True)),
                        func.count().filter(breached_at.is_not(None)),
                    )
                )
            ).one()
            warnings.add_metric([stage], float(row[0] or 0))
            breaches.add_metric([stage], float(row[1] or 0))
    return [warnings, breaches]

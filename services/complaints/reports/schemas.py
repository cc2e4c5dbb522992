"""HTTP shapes of the reports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class Percentiles(BaseModel):
    """p50/p90 of a duration, in hours of wall-clock time; null without data."""

    count: int
    p50_hours: float | None
    p90_hours: float | None


class ComplaintReport(BaseModel):
    """Complaint handling figures for complaints received in `[start, end)`."""

    start: dt.datetime
    end: dt.datetime
    complaints: int
    by_category: dict[str, int]
    by_root_cause: dict[str, int]
    time_to_acknowledge: Percentiles
    time_to_resolve: Percentiles
    sla_compliance: dict[str, float | None]
    escalation_rate: float | None
    reopen_rate: float | None
    closed_with_acceptance: float | None
    repeat_complainants: int
    repeat_complainant_share: float | None
    contacts: int
    complaints_per_1000_contacts: float | None
    average_csat: float | None

"""How contacts, complaints and surveys change a customer's statistics row, O(1) each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.scoring.models import ComplaintState, CustomerStats


def new_stats(customer_id: str) -> CustomerStats:
    """An empty statistics row (events for unknown customers create their statistics)."""
    return CustomerStats(
        customer_id=customer_id,
        contact_count=0,
        call_event_count=0,
        order_count=0,
        refund_count=0,
        gross_spend=Decimal(0),
        refunded=Decimal(0),
        purchase_days=0,
        first_day_spend=Decimal(0),
        complaints_total=0,
        complaints_open=0,
        complaints_escalated=0,
        handle_seconds=0,
        calls_abandoned=0,
        sla_breaches=0,
        discounted=Decimal(0),
    )


def count_contact(
    stats: CustomerStats,
    occurred_at: dt.datetime,
    *,
    channel: str,
    new_contact: bool,
    call_event: bool,
) -> None:
    """Count a contact event; a new contact also counts once for its channel."""
    if call_event:
        stats.call_event_count += 1
    if new_contact:
        stats.contact_count += 1
        channels = dict(stats.contacts_by_channel or {})
        channels[channel] = channels.get(channel, 0) + 1
        stats.contacts_by_channel = channels
    if stats.first_contact_at is None or occurred_at < stats.first_contact_at:
        stats.first_contact_at = occurred_at
    if stats.last_contact_at is None or occurred_at > stats.last_contact_at:
        stats.last_contact_at = occurred_at


def new_complaint(stats: CustomerStats, complaint_id: str, *, is_open: bool) -> ComplaintState:
    """The state row of a complaint seen for the first time, counted in the totals."""
    stats.complaints_total += 1
    if is_open:
        stats.complaints_open += 1
    return ComplaintState(complaint_id=complaint_id, customer_id=stats.customer_id, is_open=is_open)


def set_open(stats: CustomerStats, state: ComplaintState, is_open: bool) -> None:
    """Open or close a known complaint, keeping the open count right under repeats."""
    if state.is_open and not is_open:
        stats.complaints_open = max(0, stats.complaints_open - 1)
    elif not state.is_open and is_open:
        stats.complaints_open += 1
    state.is_open = is_open


def set_root_cause(stats: CustomerStats, state: ComplaintState, root_cause: str) -> None:
    """Count the complaint under its (latest) root cause."""
    if state.root_cause == root_cause:
        return
    causes = dict(stats.complaints_by_root_cause or {})
    if state.root_cause is not None:
        causes[state.root_cause] = max(0, causes.get(state.root_cause, 0) - 1)
    causes[root_cause] = causes.get(root_cause, 0) + 1
    stats.complaints_by_root_cause = causes
    state.root_cause = root_cause


def touch_complaint_time(stats: CustomerStats, moment: dt.datetime) -> None:
    """Remember the latest complaint activity."""
    if stats.last_complaint_at is None or moment > stats.last_complaint_at:
        stats.last_complaint_at = moment


def keep_survey(
    stats: CustomerStats, *, csat: int, nps: int | None, surveyed_at: dt.datetime
) -> None:
    """Keep the satisfaction answer if it is the latest one."""
    if stats.last_surveyed_at is None or surveyed_at >= stats.last_surveyed_at:
        stats.last_csat = csat
        stats.last_nps = nps
        stats.last_surveyed_at = surveyed_at

"""Adding a merged customer's running statistics to the survivor's."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from services.scoring.models import CustomerStats

T = TypeVar("T", dt.datetime, dt.date)


def fold_stats(into: CustomerStats, src: CustomerStats, *, new_days: int) -> None:
    """Add `src`'s running statistics to `into`'s (`new_days`: purchase days `into` lacked).

    The scores last published stay the survivor's, so the rescoring after the merge compares
    against what subscribers last heard about the survivor.
    """
    _fold_contacts(into, src)
    _fold_purchases(into, src, new_days)
    _fold_complaints(into, src)
    if into.state is None:
        # A survivor scoring had not placed takes the merged customer's state.
        into.state, into.state_since = src.state, src.state_since


def _fold_contacts(into: CustomerStats, src: CustomerStats) -> None:
    into.contact_count += src.contact_count
    into.call_event_count += src.call_event_count
    into.first_contact_at = _earliest(into.first_contact_at, src.first_contact_at)
    into.last_contact_at = _latest(into.last_contact_at, src.last_contact_at)
    into.contacts_by_channel = _add_counts(into.contacts_by_channel, src.contacts_by_channel)
    into.handle_seconds += src.handle_seconds
    into.calls_abandoned += src.calls_abandoned


def _fold_purchases(into: CustomerStats, src: CustomerStats, new_days: int) -> None:
    into.order_count += src.order_count
    into.refund_count += src.refund_count
    into.gross_spend += src.gross_spend
    into.refunded += src.refunded
    into.discounted += src.discounted
    if into.declared_wallet is None:
        into.declared_wallet = src.declared_wallet
    into.purchase_days += new_days
    into.first_purchase_day = _earliest(into.first_purchase_day, src.first_purchase_day)
    into.last_purchase_day = _latest(into.last_purchase_day, src.last_purchase_day)
    into.first_purchase_at = _earliest(into.first_purchase_at, src.first_purchase_at)
    into.last_purchase_at = _latest(into.last_purchase_at, src.last_purchase_at)


def _fold_complaints(into: CustomerStats, src: CustomerStats) -> None:
    into.complaints_total += src.complaints_total
    into.complaints_open += src.complaints_open
    into.complaints_escalated += src.complaints_escalated
    into.sla_breaches += src.sla_breaches
    into.complaints_by_root_cause = _add_counts(
        into.complaints_by_root_cause, src.complaints_by_root_cause
    )
    into.last_complaint_at = _latest(into.last_complaint_at, src.last_complaint_at)
    if src.last_surveyed_at is not None and (
        into.last_surveyed_at is None or src.last_surveyed_at > into.last_surveyed_at
    ):
        into.last_csat, into.last_nps = src.last_csat, src.last_nps
        into.last_quality = src.last_quality
        into.last_surveyed_at = src.last_surveyed_at


def _earliest(a: T | None, b: T | None) -> T | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: T | None, b: T | None) -> T | None:
    return b if a is None else a if b is None else max(a, b)


def _add_counts(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if not b:
        return a
    out = dict(a or {})
    for key, n in b.items():
        out[key] = out.get(key, 0) + n
    return out

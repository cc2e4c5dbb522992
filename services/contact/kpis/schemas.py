"""KPI answers: counters, figures with their formulas, a queue's live state."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from services.contact.kpis.definitions import ServiceLevelVariant


class CountersRead(BaseModel):
    """The sums behind the figures."""

    offered: int = Field(description="Contacts that entered a line in the window.")
    answered: int = Field(description="Contacts an agent took (accepted) in the window: A.")
    answered_in_threshold: int = Field(description="A_T: answered within the queue's T seconds.")
    abandoned: int = Field(description="B: callers who hung up while waiting.")
    abandoned_short: int = Field(description="B_s: abandoned within the short-abandon time.")
    abandoned_in_threshold: int = Field(description="B_T: abandoned within T seconds.")
    answer_wait_seconds: float
    abandon_wait_seconds: float
    handled: int = Field(description="Contacts that ended in an agent's hands in the window.")
    talk_seconds: float = Field(description="Σ (end - answer) of the handled contacts.")
    after_call_work_seconds: float = Field(description="Σ after-call work that ended.")
    transferred: int = Field(description="Handled calls that reached a second agent leg.")
    staffed_seconds: float = Field(description="Agents' time signed in (not offline).")
    available_seconds: float
    on_contact_seconds: float
    wrap_up_seconds: float = Field(description="Agents' time in after-call work.")
    paused_seconds: float


class FiguresRead(BaseModel):
    """The KPIs; null where there is nothing to divide by or the figure does not apply."""

    service_level: dict[ServiceLevelVariant, float | None] = Field(
        description="offered = A_T/(A+B-B_s) (the usual 80/20); answered = A_T/A; "
        "abandons_in_threshold_met = (A_T+B_T)/(A+B); "
        "abandons_in_threshold_ignored = A_T/(A+B-B_T)."
    )
    asa_seconds: float | None = Field(description="Σ wait of answered / A.")
    aht_seconds: float | None = Field(
        description="(Σ talk + Σ hold + Σ after-call work) / handled."
    )
    average_talk_seconds: float | None
    average_after_call_work_seconds: float | None
    abandonment_rate: float | None = Field(description="B / (A + B).")
    abandonment_rate_excluding_short: float | None = Field(description="(B - B_s) / (A + B - B_s).")
    average_abandon_wait_seconds: float | None
    occupancy: float | None = Field(
        description="(on contact + after-call work) / (available + on contact + after-call "
        "work); overall or per agent only."
    )
    contacts_per_hour: float | None = Field(description="handled / window hours.")
    contacts_per_staffed_hour: float | None = Field(
        description="handled / signed-in hours; overall or per agent only."
    )
    transfer_rate: float | None = Field(description="transferred / handled.")
    first_contact_resolution: float | None = Field(
        description="Handled contacts of known customers with a reason and no repeat contact "
        "on the same reason within CONTACT_KPI_FIRST_CONTACT_DAYS / those judged."
    )


class GroupRead(BaseModel):
    """One group: its dimensions (null: no agent / no tier), counters and figures."""

    key: dict[str, str | None]
    counters: CountersRead
    figures: FiguresRead


class KpiReport(BaseModel):
    """A window's KPIs per group."""

    since: dt.datetime = Field(serialization_alias="from")
    until: dt.datetime = Field(serialization_alias="to", description="Stops at now.")
    stored_until: dt.datetime | None = Field(
        description="Whole intervals before this came from the stored 15-minute rows."
    )
    group_by: list[str]
    groups: list[GroupRead]


class LiveQueueRead(BaseModel):
    """A queue now."""

    queue_id: uuid.UUID
    name: str
    at: dt.datetime
    waiting: int = Field(description="Contacts waiting for an offer.")
    offered: int = Field(description="Contacts offered to an agent who has not answered yet.")
    longest_wait_seconds: float = Field(description="now - entry of the oldest of those.")
    oldest_entered_at: dt.datetime | None
    agents_by_presence: dict[str, int] = Field(
        description="Agents with the queue's required skills, per presence state."
    )
    today: KpiReport = Field(description="The queue's KPIs since midnight in its time zone.")

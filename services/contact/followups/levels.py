"""The relationship levels a company keeps after a sale (客户关系的类型) and what each does.

Pure: given a level and what just happened, the call-back task it calls for, if any. Each level
does what the one before it does, and more:

- basic (基本型): nothing after the sale.
- passive (被动型): the customer may call us; we do not call.
- responsible (责任型): we follow up once: a call after a complaint's closure, a welcome call
  after the first purchase (care after the sale).
- proactive (能动型): we keep in touch: also a call-back after a low survey score (CSAT at most
  the policy's bound, or quality below expectation) and when churn risk rises past the threshold.
- partner (伙伴型): we work with them: also a call-back after an NPS detractor's answer (0-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

from services.contact.surveys.quality import low_score
from shared.contracts.contact import QualityClass

Level = Literal["basic", "passive", "responsible", "proactive", "partner"]
# From the least to the most contact after the sale; their names are in the catalogue
# (`relationship_level`).
LEVELS: tuple[Level, ...] = get_args(Level)
DOES: dict[Level, str] = {
    "basic": "No further contact after the sale.",
    "passive": "The customer may call; no call-back tasks.",
    "responsible": "One follow-up call after a complaint's closure; a welcome call after the "
    "first purchase.",
    "proactive": "As responsible, and a call-back after a low survey score or a churn risk "
    "rising past the threshold.",
    "partner": "As proactive, and a call-back after an NPS detractor's answer.",
}
NPS_DETRACTOR_AT_MOST = 6


@dataclass(frozen=True)
class ComplaintClosed:
    """A complaint of the customer was closed."""

    name: ClassVar[str] = "complaint_closed"
    outcome: str


@dataclass(frozen=True)
class FirstPurchase:
    """The customer bought for the first time (scoring gave them their first tier)."""

    name: ClassVar[str] = "first_purchase"
    tier: str


@dataclass(frozen=True)
class SurveyAnswered:
    """The customer answered a post-contact survey."""

    name: ClassVar[str] = "survey_answered"
    csat: int | None
    nps: int | None
    quality: QualityClass | None


@dataclass(frozen=True)
class ChurnRiskRaised:
    """Scoring saw the customer's churn risk cross its threshold upwards."""

    name: ClassVar[str] = "churn_risk_raised"
    churn_risk: float
    threshold: float


Trigger = ComplaintClosed | FirstPurchase | SurveyAnswered | ChurnRiskRaised


def at_least(level: Level, floor: Level) -> bool:
    """True when `level` keeps at least as much contact as `floor`."""
    return LEVELS.index(level) >= LEVELS.index(floor)


def follow_up_for(level: Level, trigger: Trigger, *, csat_at_most: int) -> str | None:
    """The subject of the call-back task `level` calls for after `trigger`; None for none."""
    if isinstance(trigger, ComplaintClosed):
        if at_least(level, "responsible") and trigger.outcome != "withdrawn":
            return "Follow-up call after the complaint's closure"
    elif isinstance(trigger, FirstPurchase):
        if at_least(level, "responsible"):
            return f"Welcome call after the first purchase ({trigger.tier} customer)"
    elif isinstance(trigger, ChurnRiskRaised):
        if at_least(level, "proactive"):
            return (
                f"Call back: churn risk {trigger.churn_risk:.2f} rose past {trigger.threshold:.2f}"
            )
    else:
        return _after_survey(level, trigger, csat_at_most)
    return None


def _after_survey(level: Level, answer: SurveyAnswered, csat_at_most: int) -> str | None:
    if at_least(level, "proactive") and low_score(
        answer.csat, answer.quality, csat_at_most=csat_at_most
    ):
        low_csat = answer.csat is not None and answer.csat <= csat_at_most
        said = f"CSAT {answer.csat}/5" if low_csat else "quality below expectation"
        return f"Call back: {said} after a contact"
    if (
        at_least(level, "partner")
        and answer.nps is not None
        and answer.nps <= NPS_DETRACTOR_AT_MOST
    ):
        return f"Call back: NPS {answer.nps}/10 after a contact"
    return None

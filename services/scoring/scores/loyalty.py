"""Loyalty measures (客户忠诚): repeat purchase, share of wallet, price tolerance, recommendation.

- Repeat purchase: purchase days after the first; over a group, the share of buyers who came
  back (bought on two days or more).
- Share of wallet: net spend of the last 365 days ÷ the declared annual wallet (what the
  customer spends a year on what we sell, anywhere), when one is declared.
- Price tolerance: 1 - discount share, where discount share = discount received ÷ list value
  (price paid + discount) of the customer's orders. 1 means always paid full price; a customer
  who only buys on discount is price-sensitive. Transactions carry no price history, so spend
  kept after a price rise cannot be measured.
- Recommendation: the customer's latest NPS answer (0-10) from complaint satisfaction surveys;
  over a group, NPS = % promoters (9-10) - % detractors (0-6) of those who answered.
Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

NpsClass = Literal["promoter", "passive", "detractor"]
# Where recommendation answers come from: the satisfaction surveys after complaints.
RECOMMENDATION_SOURCE = "complaint_surveys"


@dataclass(frozen=True)
class LoyaltyInputs:
    """What the loyalty measures read of one customer."""

    purchase_days: int
    gross_spend: Decimal
    discounted: Decimal
    spend_last_year: Decimal
    declared_wallet: Decimal | None
    last_nps: int | None


@dataclass(frozen=True)
class Loyalty:
    """One customer's loyalty measures."""

    repeat_purchase_days: int
    repeat_buyer: bool
    spend_last_year: float
    declared_wallet: float | None
    share_of_wallet: float | None
    price_tolerance: float | None
    last_nps: int | None
    nps_class: NpsClass | None


def nps_class(answer: int) -> NpsClass:
    """Promoter (9-10), passive (7-8) or detractor (0-6)."""
    return "promoter" if answer >= 9 else "passive" if answer >= 7 else "detractor"


def share_of_wallet(spend: Decimal, wallet: Decimal | None) -> float | None:
    """Spend of the last year ÷ the declared annual wallet (none without a positive wallet)."""
    if wallet is None or wallet <= 0:
        return None
    return round(float(spend / wallet), 6)


def price_tolerance(paid: Decimal, discount: Decimal) -> float | None:
    """1 - discount ÷ (paid + discount); none before any order."""
    listed = paid + discount
    if listed <= 0:
        return None
    return round(1 - float(discount / listed), 6)


def loyalty(data: LoyaltyInputs) -> Loyalty:
    """Every loyalty measure of one customer."""
    return Loyalty(
        repeat_purchase_days=max(data.purchase_days - 1, 0),
        repeat_buyer=data.purchase_days >= 2,
        spend_last_year=float(data.spend_last_year),
        declared_wallet=None if data.declared_wallet is None else float(data.declared_wallet),
        share_of_wallet=share_of_wallet(data.spend_last_year, data.declared_wallet),
        price_tolerance=price_tolerance(data.gross_spend, data.discounted),
        last_nps=data.last_nps,
        nps_class=None if data.last_nps is None else nps_class(data.last_nps),
    )


@dataclass(frozen=True)
class GroupLoyalty:
    """Loyalty measures of a group of customers (a tier, or everyone)."""

    customers: int
    buyers: int
    repeat_purchase_rate: float | None
    with_wallet: int
    share_of_wallet: float | None
    price_tolerance: float | None
    nps_answers: int
    nps: float | None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 6) if values else None


def group_loyalty(members: Sequence[Loyalty]) -> GroupLoyalty:
    """Repeat buyers ÷ buyers, mean share of wallet and price tolerance, and the group's NPS."""
    buyers = [m for m in members if m.price_tolerance is not None]
    wallets = [m.share_of_wallet for m in members if m.share_of_wallet is not None]
    answers = [m.nps_class for m in members if m.nps_class is not None]
    nps = None
    if answers:
        promoters, detractors = answers.count("promoter"), answers.count("detractor")
        nps = round(100 * (promoters - detractors) / len(answers), 2)
    return GroupLoyalty(
        customers=len(members),
        buyers=len(buyers),
        repeat_purchase_rate=_mean([1.0 if m.repeat_buyer else 0.0 for m in buyers]),
        with_wallet=len(wallets),
        share_of_wallet=_mean(wallets),
        price_tolerance=_mean([m.price_tolerance for m in buyers if m.price_tolerance is not None]),
        nps_answers=len(answers),
        nps=nps,
    )

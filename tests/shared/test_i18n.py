"""The message catalogue names every domain value in English and Chinese, and responses use it."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from services.complaints.complaints.schemas import Channel as ComplaintChannel
from services.complaints.lifecycle.lifecycle import State as ComplaintState
from services.complaints.main import create_app as create_complaints
from services.complaints.settings import DEFAULT_CATEGORIES
from services.complaints.sla.priority import Severity
from services.contact.agents.presence import PauseReason
from services.contact.calls.schemas import CallStatus
from services.contact.customers.qualification import man_strategy
from services.contact.customers.schemas import CustomerKind, CustomerState, Party
from services.contact.followups.levels import LEVELS
from services.scoring.population.abc import AbcClass
from services.scoring.scores import card, churn
from services.scoring.scores.causes import CAUSES, CauseCategory, CauseSide
from services.scoring.scores.loyalty import NpsClass
from services.scoring.scores.rfm import NO_PURCHASE_SEGMENT, SEGMENT_RULES
from shared.contracts.complaints import RootCause
from shared.contracts.contact import CallOutcome, QualityClass
from shared.contracts.routing import Channel as RoutingChannel
from shared.contracts.routing import PresenceState
from shared.contracts.scoring import CustomerState as ScoringCustomerState
from shared.contracts.scoring import LifecycleStage, StateTransition, Tier
from shared.i18n import LANGUAGES, add_names, catalogue, language, name_of, sections
from tests.complaints.conftest import complaint_body, complaints_settings
from tests.conftest import serve

REASON_SOURCES = Path(churn.__file__).read_text() + Path(card.__file__).read_text()
HAN = re.compile(r"[\u4e00-\u9fff]")

# Each catalogue section and every value the code can put in a response for it.
EXPECTED: dict[str, set[str]] = {
    "tier": set(get_args(Tier)),
    "lifecycle_stage": set(get_args(LifecycleStage)),
    "customer_state": set(get_args(CustomerState)),
    "customer_kind": set(get_args(CustomerKind)),
    "party": set(get_args(Party)),
    "man_strategy": {
        man_strategy(m, a, n) for m, a, n in itertools.product((True, False, None), repeat=3)
    },
    "rfm_segment": {rule[0] for rule in SEGMENT_RULES} | {NO_PURCHASE_SEGMENT},
    "score_reason": set(CAUSES) | set(re.findall(r'Reason\(\s*"([a-z-]+)"', REASON_SOURCES)),
    "cause_side": set(get_args(CauseSide)),
    "cause_category": set(get_args(CauseCategory)),
    "abc_class": set(get_args(AbcClass)),
    "nps_class": set(get_args(NpsClass)),
    "state_transition": set(get_args(StateTransition)),
    "complaint_state": set(get_args(ComplaintState)),
    "root_cause": set(get_args(RootCause)),
    "severity": set(get_args(Severity)),
    "complaint_channel": set(get_args(ComplaintChannel)),
    "complaint_category": set(DEFAULT_CATEGORIES),
    "presence_state": set(get_args(PresenceState)),
    "pause_reason": set(get_args(PauseReason)),
    "routing_channel": set(get_args(RoutingChannel)),
    "call_outcome": set(get_args(CallOutcome)),
    "call_status": set(get_args(CallStatus)),
    "relationship_level": set(LEVELS),
    "work_item_state": {"waiting", "offered", "assigned", "completed", "abandoned", "removed"},
    "survey_quality": set(get_args(QualityClass)),
}


def test_the_services_agree_on_customer_states() -> None:
    assert set(get_args(CustomerState)) == set(get_args(ScoringCustomerState))


def test_the_catalogue_names_every_value_of_every_domain_enum_in_both_languages() -> None:
    assert set(sections()) == set(EXPECTED)
    for section, values in EXPECTED.items():
        assert set(sections()[section]) == values, section
        for value in values:
            names = sections()[section][value]
            assert set(names) == set(LANGUAGES), (section, value)
            assert names["en"].strip(), (section, value)
            assert HAN.search(names["zh"]), (section, value, names["zh"])


def test_the_textbook_terms_are_the_ones_users_learned() -> None:
    assert [name_of("tier", t, "zh") for t in ("gold", "silver", "bronze", "iron")] == [
        "金客户",
        "银客户",
        "铜客户",
        "铁客户",
    ]
    stages = ("exploration", "formation", "stability", "decline")
    assert [name_of("lifecycle_stage", s, "zh") for s in stages] == [
        "考察期",
        "形成期",
        "稳定期",
        "退化期",
    ]
    assert name_of("customer_state", "prospect", "zh") == "潜在客户"
    assert name_of("customer_state", "lost", "zh") == "流失客户"


def test_every_field_points_at_sections_that_exist() -> None:
    for field, named_by in catalogue()["fields"].items():
        assert named_by and set(named_by) <= set(sections()), field


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, None),
        ("zh", None, "zh"),
        ("ZH-cn", "en", "zh"),
        ("en", "zh-CN", "en"),
        ("fr", "zh", None),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr-FR, en;q=0.5, zh;q=0.7", "zh"),
        (None, "de, fr;q=0.8", None),
        (None, "en-GB;q=0.2, zh;q=bogus", "en"),
    ],
)
def test_language_is_chosen_by_lang_first_then_accept_language(
    query: str | None, header: str | None, expected: str | None
) -> None:
    assert language(query, header) == expected


def test_names_are_added_beside_named_fields_only() -> None:
    body: dict[str, Any] = {
        "tier": "gold",
        "state": "lost",
        "items": [{"state": "investigating", "kind": "nonsense"}],
        "label": "gold",
    }
    assert add_names(body, "zh", catalogue()["fields"]) == {
        "tier": "gold",
        "tier_name": "金客户",
        "state": "lost",
        "state_name": "流失客户",
        "items": [{"state": "investigating", "state_name": "调查中", "kind": "nonsense"}],
        "label": "gold",
    }


@pytest.fixture
async def complaints_api(make_database: Any) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(create_complaints(complaints_settings(make_database("complaints")))):
        yield client


async def test_a_service_answers_with_names_in_the_language_asked(
    complaints_api: httpx.AsyncClient,
) -> None:
    filed = (await complaints_api.post("/v1/complaints", json=complaint_body())).json()
    path = f"/v1/complaints/{filed['id']}"

    plain = await complaints_api.get(path)
    assert "state_name" not in plain.json()

    chinese = await complaints_api.get(path, params={"lang": "zh"})
    assert chinese.json()["state"] == "received"
    assert chinese.json()["state_name"] == "已受理"
    assert chinese.json()["severity_name"] == "中"
    assert chinese.headers["content-language"] == "zh"

    browser = await complaints_api.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert browser.json()["state_name"] == "Received"
    assert browser.json()["channel_name"] == "Phone"

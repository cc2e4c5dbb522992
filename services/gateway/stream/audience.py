"""Who an event concerns: the rules of the live stream, pure.

- An offer, its answer or timeout: the offered agent only (the screen pop is theirs).
- A complaint escalated or breaching its SLA: supervisors and admins, and the agents who
  handle that customer.
- A tier change or a rising churn risk: the agents who handle that customer.
An agent handles a customer once they accepted a contact of theirs (since the gateway started
reading, within its replay window).
"""

from __future__ import annotations

from typing import Any

from shared.identity import Identity

OFFER_EVENTS = {
    "contact.contact_offered",
    "contact.offer_accepted",
    "contact.offer_rejected",
    "contact.offer_timed_out",
}
SUPERVISED_EVENTS = {"complaints.complaint_escalated", "complaints.complaint_sla_breached"}
CUSTOMER_EVENTS = {"scoring.tier_changed", "scoring.churn_risk_raised"} | SUPERVISED_EVENTS
STREAMED = OFFER_EVENTS | CUSTOMER_EVENTS


def concerns(envelope: dict[str, Any], person: Identity, handled: dict[str, set[str]]) -> bool:
    """Whether `person` should see `envelope`; `handled` maps agent id → customer ids."""
    kind = envelope.get("type")
    data = envelope.get("data") or {}
    if kind in OFFER_EVENTS:
        return person.agent_id is not None and _agent_of(data) == person.agent_id
    if kind in SUPERVISED_EVENTS and person.may("agents:supervise"):
        return True
    if kind in CUSTOMER_EVENTS and person.agent_id is not None:
        return str(data.get("customer_id")) in handled.get(person.agent_id, set())
    return False


def _agent_of(data: dict[str, Any]) -> str | None:
    login = data.get("agent_login")
    return str(login) if login is not None else None

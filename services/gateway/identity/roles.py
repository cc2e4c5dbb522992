"""What each role may do: the gateway's grant table, plain data, one line per reason.

Internal operations (posting call events, transactions, contacts, refitting the model) belong
to systems — the `service` and `cti` roles — never to a person's role, so a stolen agent or
supervisor login cannot feed data into Rapport or rerun the model.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.contracts.permissions import PERMISSIONS

ROLES = ("agent", "supervisor", "admin", "service", "cti")

_AGENT = {
    "customers:read",  # the caller on the line, the screen pop
    "customers:write",  # correct a name, add the number they call from
    "calls:read",
    "calls:identify",  # pick the customer of a call from a shared number
    "calls:wrap-up",
    "complaints:read",
    "complaints:file",
    "complaints:update",
    "complaints:transition",
    "complaints:survey",  # the agent types what the complainant answers
    "scores:read",  # tier, CLV and churn risk with reasons on the screen pop
    "agents:read",
    "presence:set",
    "offers:answer",
    "queues:read",
    "surveys:send",  # offer the survey at the end of a chat or a call
    "surveys:read",
    "follow-ups:read",
}
_SUPERVISOR = _AGENT | {
    "agents:supervise",  # set an agent's presence, answer for them
    "customers:merge",  # duplicates are a supervisor's call
    "complaints:escalate",
    "complaints:report",
    "scores:population",
    "model:read",
    "programmes:read",
    "programmes:manage",  # a programme spends on contacts and fills the queues supervisors run
    "kpis:read",  # service level, handle times, occupancy, staffing
}
_ADMIN = _SUPERVISOR | {
    "customers:erase",  # erasure is irreversible: admins only
    "customers:export",  # a whole customer's data in one document: admins only
    "call-events:read",
    "api-keys:manage",
    "agents:manage",
    "queues:manage",
    "follow-ups:manage",  # which relationship level each tier and kind of customer gets
}
_SERVICE = {
    "customers:read",
    "customers:write",
    "calls:read",
    "call-events:record",
    "call-events:read",
    "contacts:record",
    "transactions:record",
    "wallets:declare",  # from the commerce or CRM system that knows it
    "scores:read",
    "scores:population",
    "model:read",
    "model:refit",
    "programmes:read",  # a BI or marketing system reads the measured effect
    "complaints:read",
    "agents:read",
    "queues:read",
    "work-items:create",
    "surveys:send",
    "surveys:answer",
    "surveys:read",
}
_CTI = {
    "call-events:record",
    "contacts:record",
    "webhooks:deliver",
    "customers:read",
    "work-items:create",
    "surveys:send",
    "surveys:answer",  # the IVR or SMS adapter posts what the customer keyed in
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "agent": frozenset(_AGENT),
    "supervisor": frozenset(_SUPERVISOR),
    "admin": frozenset(_ADMIN),
    "service": frozenset(_SERVICE),
    "cti": frozenset(_CTI),
}

# A provider webhook carries no credential of ours; the contact service checks its signature.
PROVIDER_PERMISSIONS = frozenset({"webhooks:deliver"})


def permissions_of(roles: Iterable[str]) -> list[str]:
    """Every permission the roles grant, sorted; unknown roles grant nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return sorted(granted)


def unknown_permissions() -> set[str]:
    """Permissions granted here but missing from the shared list (kept empty by a test)."""
    granted = set().union(*ROLE_PERMISSIONS.values(), PROVIDER_PERMISSIONS)
    return granted - set(PERMISSIONS)

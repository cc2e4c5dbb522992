"""The permissions a route can require: one per operation, named `<resource>:<action>`.

The gateway grants them to roles (`services/gateway/identity/roles.py`); each service declares
the one it requires next to every route (`shared.identity.Requires`). This list is the contract
between the two: a service may only require a permission named here.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    # contact
    "customers:read": "Read, search and identify customers and their interaction history.",
    "customers:write": "Create customers, change their attributes, add or remove identities.",
    "customers:merge": "Merge one customer record into another.",
    "customers:erase": "Erase a customer (the right to erasure).",
    "customers:export": "Export everything every service keeps about a customer (right of access).",
    "calls:read": "Read calls, their event logs and the waiting callers.",
    "calls:identify": "Say whose call a held call is.",
    "calls:wrap-up": "Record an agent's wrap-up on a call.",
    "call-events:record": "Post call events from a phone system through the internal API.",
    "call-events:read": "Read a stored call event.",
    "contacts:record": "Record e-mail, chat, web-form and SMS contacts from channel systems.",
    "webhooks:deliver": "Deliver a provider webhook (the service verifies its signature).",
    "agents:read": "Read agents, their skills and presence.",
    "agents:manage": "Create agents and change their skills, capacity and address.",
    "agents:supervise": "Act for another agent: their presence and offers.",
    "presence:set": "Set one's own presence (available, paused with a reason, offline).",
    "offers:answer": "Read, accept and reject one's offers; complete one's contacts.",
    "queues:read": "Read queues and who waits in them.",
    "queues:manage": "Create queues and change their skills, targets, hours and overflow.",
    "work-items:create": "Put a chat, e-mail or call-back task in a queue's line.",
    "kpis:read": "Read call-center KPIs, queues' live state and staffing calculations.",
    "surveys:send": "Record that a survey was sent after a call, chat or e-mail contact.",
    "surveys:answer": "Post a customer's survey answer (an IVR or SMS adapter).",
    "surveys:read": "Read surveys and their answers.",
    "follow-ups:read": "Read follow-up policies and the follow-ups they created.",
    "follow-ups:manage": "Change the relationship level and queue of follow-up policies.",
    # complaints
    "complaints:read": "Read complaints, list them and read their audit trail.",
    "complaints:file": "File a complaint.",
    "complaints:update": "Change a complaint's fields.",
    "complaints:transition": "Move a complaint along its lifecycle.",
    "complaints:escalate": "Escalate a complaint one level.",
    "complaints:survey": "Record a complainant's satisfaction after closure.",
    "complaints:report": "Read complaint handling figures.",
    # scoring
    "scores:read": "Read a customer's scores and their history.",
    "scores:population": "Read population figures: distribution, equity, churn, ABC, loyalty.",
    "transactions:record": "Record orders and refunds from commerce systems.",
    "wallets:declare": "Declare what a customer spends a year on what we sell (share of wallet).",
    "model:read": "Read the latest model fit.",
    "model:refit": "Refit the value model now.",
    "programmes:read": "Read retention programmes, their members and their measured effect.",
    "programmes:manage": "Define and launch retention programmes and send their rounds of contact.",
    # gateway
    "api-keys:manage": "Create, list, rotate and revoke API keys.",
}

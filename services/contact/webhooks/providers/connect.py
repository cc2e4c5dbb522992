"""Amazon Connect contact events, as an EventBridge API destination posts them."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal

from services.contact.calls.callmodel import NormalizedEvent
from services.contact.errors import InvalidWebhookError, SignatureError
from shared.db import utcnow
from shared.inputs import refuse_control_characters

PROVIDER = "amazon_connect"
# Contact ids are UUIDs; anything much longer is not one.
MAX_CONTACT_ID = 128
DETAIL_TYPE = "amazon connect contact event"
_OUTBOUND = {"OUTBOUND", "API", "CALLBACK", "EXTERNAL_OUTBOUND"}
# Non-voice channels kept as contact records; TASK (internal work items) and others are ignored.
_CHANNELS: dict[str, Literal["chat", "email"]] = {"CHAT": "chat", "EMAIL": "email"}
# An agent's e-mail reply and an e-mail a flow sends go out too.
_NON_VOICE_OUTBOUND = _OUTBOUND | {"AGENT_REPLY", "FLOW"}

Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True)
class ChannelContact:
    """One Amazon Connect event of a chat or e-mail contact, reduced to what its record keeps."""

    external_id: str
    channel: Literal["chat", "email"]
    event_type: str
    root_segment: bool
    direction: Direction | None
    initiated_at: dt.datetime | None
    sent_at: dt.datetime
    endpoint_type: str | None = None
    endpoint_address: str | None = None
    queue: str | None = None
    agent: str | None = None
    disposition: str | None = None


def read_event(
    body: bytes, *, api_key: str | None, keys: list[str], max_age_seconds: int
) -> NormalizedEvent | ChannelContact | None:
    """The event of a request carrying one of `keys`, read once; None when it is ignored."""
    check_key(api_key, keys)
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidWebhookError("The body is not JSON.") from exc
    try:
        refuse_control_characters(envelope)
    except ValueError as exc:
        raise InvalidWebhookError("The event holds control characters.") from exc
    return parse(envelope, max_age_seconds=max_age_seconds)


def check_key(presented: str | None, keys: list[str]) -> None:
    """Accept the request only if it carries one of `keys` (constant-time compare)."""
    if not presented:
        raise SignatureError("The request carries no API key.")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    if not matched:
        raise SignatureError("The API key is not valid.")


def fold_keys(value: Any) -> Any:
    """The same JSON with every object key lower-cased: AWS mixes camelCase and PascalCase."""
    if isinstance(value, dict):
        return {str(k).lower(): fold_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fold_keys(v) for v in value]
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(raw: Any) -> dt.datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else None


def _tail(arn: Any) -> str | None:
    # Queue and agent ARNs end in their id; the id is what wrap-up reports refer to.
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and arn else None


def parse(envelope: Any, *, max_age_seconds: int) -> NormalizedEvent | ChannelContact | None:
    """The normalised voice event, a chat or e-mail contact's event, or None when ignored.

    Voice events without a call state (data updates, …) and other channels (TASK) are ignored.

    An envelope `time` older than `max_age_seconds` is refused as a replay: EventBridge
    stops retrying after 24 hours, so nothing genuine is older than that window.
    """
    body = fold_keys(envelope)
    if not isinstance(body, dict):
        raise InvalidWebhookError("The body is not a JSON object.")
    sent = _time(body.get("time"))
    if sent is not None and (utcnow() - sent).total_seconds() > max_age_seconds:
        raise SignatureError("The event is older than the accepted window.")
    if str(body.get("detail-type", "")).lower() != DETAIL_TYPE:
        raise InvalidWebhookError("Not an Amazon Connect contact event.")
    detail = _dict(body.get("detail"))
    event_type = str(detail.get("eventtype", "")).upper()
    contact_id = detail.get("contactid")
    if not event_type or not isinstance(contact_id, str) or not contact_id:
        raise InvalidWebhookError("`detail.eventType` and `detail.contactId` are required.")
    for name in ("contactid", "initialcontactid"):
        if len(str(detail.get(name) or "")) > MAX_CONTACT_ID:
            raise InvalidWebhookError(f"`detail.{name}` is not a contact id: it is too long.")
    channel = str(detail.get("channel", "VOICE")).upper()
    if channel in _CHANNELS:
        return _channel_contact(body, detail, event_type, contact_id, _CHANNELS[channel])
    if channel != "VOICE":
        return None
    mapped = _map(event_type, detail)
    if mapped is None:
        return None
    state, at, facts = mapped
    root = detail.get("initialcontactid") or contact_id
    method = str(detail.get("initiationmethod", "")).upper()
    facts["direction"] = (
        "inbound" if method == "INBOUND" else "outbound" if method in _OUTBOUND else None
    )
    if root != contact_id:
        facts["child_leg"] = True
    if state is not None:
        facts["state"] = state
    when = at or _time(body.get("time")) or utcnow()
    phone = _dict(detail.get("customerendpoint")).get("address")
    facts["to"] = _dict(detail.get("tags")).get("aws:connect:systemendpoint")
    facts["from"] = phone
    return NormalizedEvent(
        provider=PROVIDER,
        provider_call_id=str(root),
        dedup_key=f"{contact_id}:{event_type}",
        kind=event_type,
        occurred_at=when,
        state=state,
        leg_id=contact_id,
        customer_phone=phone if isinstance(phone, str) else None,
        facts={k: v for k, v in facts.items() if v is not None},
    )


def _map(
    event_type: str, detail: dict[str, Any]
) -> tuple[str | None, dt.datetime | None, dict[str, Any]] | None:
    """State, the event's own time and facts for one eventType; None for ignored types."""
    queue = _dict(detail.get("queueinfo"))
    agent = _dict(detail.get("agentinfo"))
    outbound = str(detail.get("initiationmethod", "")).upper() in _OUTBOUND
    facts: dict[str, Any] = {
        "queue": _tail(queue.get("queuearn")),
        "agent": _tail(agent.get("agentarn")),
    }
    initiated = _time(detail.get("initiationtimestamp"))
    if event_type == "INITIATED":
        return ("initiated" if outbound else "ringing"), initiated, facts
    if event_type == "CONNECTED_TO_SYSTEM":
        at = _time(detail.get("connectedtosystemtimestamp")) or initiated
        return ("connected" if outbound else "ivr"), at, facts
    if event_type == "QUEUED":
        return "queued", _time(queue.get("enqueuetimestamp")), facts
    if event_type == "CONNECTED_TO_AGENT":
        return "connected", _time(agent.get("connectedtoagenttimestamp")), facts
    disconnected = _time(detail.get("disconnecttimestamp"))
    if event_type == "DISCONNECTED":
        # With an agent the contact goes on in after-contact work until COMPLETED.
        had_agent = agent.get("connectedtoagenttimestamp") is not None
        facts["disposition"] = detail.get("disconnectreason")
        return ("wrap_up" if had_agent else "ended"), disconnected, facts
    if event_type == "COMPLETED":
        at = _time(agent.get("aftercontactworkendtimestamp")) or disconnected
        return "ended", at, facts
    return None


def _channel_contact(
    body: dict[str, Any],
    detail: dict[str, Any],
    event_type: str,
    contact_id: str,
    channel: Literal["chat", "email"],
) -> ChannelContact:
    """A chat or e-mail event: any eventType says the contact exists and what is known of it."""
    root = detail.get("initialcontactid")
    root = root if isinstance(root, str) and root else contact_id
    endpoint = _dict(detail.get("customerendpoint"))
    reason = detail.get("disconnectreason")
    return ChannelContact(
        external_id=root,
        channel=channel,
        event_type=event_type,
        root_segment=root == contact_id,
        direction=_direction(channel, str(detail.get("initiationmethod", "")).upper()),
        initiated_at=_time(detail.get("initiationtimestamp")),
        sent_at=_time(body.get("time")) or utcnow(),
        endpoint_type=_text(endpoint.get("type")),
        endpoint_address=_text(endpoint.get("address")),
        queue=_tail(_dict(detail.get("queueinfo")).get("queuearn")),
        agent=_tail(_dict(detail.get("agentinfo")).get("agentarn")),
        disposition=_text(reason),
    )


def _direction(channel: str, method: str) -> Direction | None:
    """Direction of a non-voice contact; None when this segment does not say (a transfer)."""
    # A chat started through StartChatContact (the web widget) reports `API`: the customer wrote.
    if method == "INBOUND" or (channel == "chat" and method == "API"):
        return "inbound"
    if method in _NON_VOICE_OUTBOUND:
        return "outbound"
    return None


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None

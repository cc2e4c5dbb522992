"""Provider webhooks: Twilio, Amazon Connect and the generic signed call event.

Each route hands the raw request to its provider module, which verifies the signature or key
and reads the event in one pass, then to one service call that stores it once per provider
dedup key; the route answers quickly.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.contact.calls.callmodel import NormalizedEvent
from services.contact.calls.routing import QueueRouting
from services.contact.dependencies import Settings
from services.contact.settings import ContactSettings
from services.contact.webhooks import service
from services.contact.webhooks.providers import connect, generic, twilio, twiml
from services.contact.webhooks.schemas import WebhookAccepted
from shared.api import Session, allow, problem

# Providers cannot hold our credentials: each route verifies the provider's own signature, and
# the gateway passes these requests with the single permission to deliver a webhook.
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=allow("webhooks:deliver"))
_REFUSED: dict[int | str, dict[str, Any]] = {
    403: problem("Signature or key missing, wrong or stale; nothing stored"),
    422: problem("Signed but not a valid event"),
}
_XML = "application/xml"
_TWIML: dict[int | str, dict[str, Any]] = {200: {"content": {_XML: {}}}, **_REFUSED}


async def _signed_form(request: Request, settings: ContactSettings) -> twilio.SignedForm:
    """The request as Twilio signed it: our public URL, with the raw query string, and body."""
    query = request.url.query
    url = settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    return twilio.SignedForm(
        url=url,
        body=await request.body(),
        signature=request.headers.get("x-twilio-signature"),
        signature_settings=request.headers.get("x-twilio-webhooks-signature-settings"),
    )


async def _read_twilio(
    request: Request, settings: ContactSettings, kind: twilio.EventKind
) -> NormalizedEvent:
    return twilio.read_event(
        await _signed_form(request, settings),
        kind,
        tokens=settings.twilio_auth_tokens,
        max_age_seconds=settings.twilio_max_event_age_seconds,
    )


async def _record_twilio(
    request: Request, session: Session, settings: ContactSettings, kind: twilio.EventKind
) -> NormalizedEvent:
    """Read a signed Twilio request as a `kind` event and store it."""
    event = await _read_twilio(request, settings, kind)
    await service.record_call_event(session, event, settings=settings)
    return event


async def _record_twilio_queue(
    request: Request, session: Session, settings: ContactSettings, kind: twilio.QueueEventKind
) -> None:
    """Read a signed <Enqueue> callback as a `kind` event and store it."""
    event = twilio.read_queue_event(
        await _signed_form(request, settings),
        kind,
        tokens=settings.twilio_auth_tokens,
        queue=request.query_params.get("queue"),
    )
    await service.record_call_event(session, event, settings=settings)


def _queues(settings: ContactSettings) -> QueueRouting:
    return QueueRouting(
        priority_tiers=settings.priority_tiers,
        priority_queue=settings.twilio_priority_queue,
        default_queue=settings.twilio_default_queue,
    )


def _xml(body: str) -> Response:
    return Response(body, media_type=_XML)


async def _enqueue(
    request: Request, session: Session, settings: ContactSettings, kind: twilio.EventKind
) -> Response:
    """Read a signed request of an incoming call, store it and put the caller into a queue."""
    event = await _read_twilio(request, settings, kind)
    queue = await service.queue_incoming_call(
        session, event, settings=settings, queues=_queues(settings)
    )
    return _xml(twiml.enqueue_twiml(queue=queue, base_url=settings.public_base_url))


@router.post(
    "/twilio/voice",
    summary="Twilio voice webhook: answer an incoming call with TwiML",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_voice(request: Request, session: Session, settings: Settings) -> Response:
    return await _enqueue(request, session, settings, "voice")


@router.post(
    "/twilio/gather",
    summary="Twilio <Gather> action: IVR input, then queue the caller",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_gather(request: Request, session: Session, settings: Settings) -> Response:
    return await _enqueue(request, session, settings, "gather")


@router.post(
    "/twilio/status",
    status_code=204,
    summary="Twilio StatusCallback (call-progress events)",
    response_class=Response,
    responses=_REFUSED,
)
async def twilio_status(request: Request, session: Session, settings: Settings) -> Response:
    await _record_twilio(request, session, settings, "status")
    return Response(status_code=204)


@router.post(
    "/twilio/recording",
    status_code=204,
    summary="Twilio recording status callback",
    response_class=Response,
    responses=_REFUSED,
)
async def twilio_recording(request: Request, session: Session, settings: Settings) -> Response:
    await _record_twilio(request, session, settings, "recording")
    return Response(status_code=204)


@router.post(
    "/twilio/queue-wait",
    summary="Twilio <Enqueue> waitUrl: the caller is waiting in the queue",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_queue_wait(request: Request, session: Session, settings: Settings) -> Response:
    await _record_twilio_queue(request, session, settings, "queue-wait")
    return _xml(twiml.twiml("<Say>Please hold; an agent will be with you shortly.</Say>"))


@router.post(
    "/twilio/enqueue",
    summary="Twilio <Enqueue> action: the caller left the queue",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_enqueue(request: Request, session: Session, settings: Settings) -> Response:
    await _record_twilio_queue(request, session, settings, "enqueue")
    return _xml(twiml.twiml())


@router.post(
    "/twilio/dial",
    summary="Twilio <Dial> action: the dialled agent leg ended",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_dial(request: Request, session: Session, settings: Settings) -> Response:
    event = await _record_twilio(request, session, settings, "dial")
    return _xml(twiml.dial_twiml(event, base_url=settings.public_base_url))


@router.post(
    "/twilio/record",
    summary="Twilio <Record> action: a voicemail was left",
    response_class=Response,
    responses=_TWIML,
)
async def twilio_record(request: Request, session: Session, settings: Settings) -> Response:
    await _record_twilio(request, session, settings, "record")
    return _xml(twiml.twiml("<Hangup/>"))


@router.post(
    "/amazon-connect",
    response_model=WebhookAccepted,
    summary="Amazon Connect contact event (EventBridge API destination)",
    description=(
        "The whole EventBridge event as JSON, authenticated by the API-key header of the "
        "API destination's connection. Keys are matched case-insensitively. VOICE events "
        "build calls; CHAT and EMAIL events build one contact record per contact (`duplicate` "
        "when the event added nothing to it). TASK and other channels, and voice event types "
        "without a call state, are acknowledged and ignored."
    ),
    responses=_REFUSED,
)
async def amazon_connect(request: Request, session: Session, settings: Settings) -> WebhookAccepted:
    event = connect.read_event(
        await request.body(),
        api_key=request.headers.get(settings.connect_api_key_header),
        keys=settings.connect_api_keys,
        max_age_seconds=settings.connect_max_event_age_seconds,
    )
    accepted = await service.record_connect_event(session, event, settings=settings)
    return WebhookAccepted(
        duplicate=accepted.duplicate, ignored=accepted.ignored, call_id=accepted.call_id
    )


@router.post(
    "/generic",
    response_model=WebhookAccepted,
    summary="Generic call event from a PBX adapter (Standard Webhooks signature)",
    description=(
        "Body: the JSON of `docs/generic-call-event.schema.json`. Headers `webhook-id`, "
        "`webhook-timestamp` and `webhook-signature` per the Standard Webhooks spec; "
        "timestamps more than five minutes off are refused."
    ),
    responses=_REFUSED,
)
async def generic_event(request: Request, session: Session, settings: Settings) -> WebhookAccepted:
    event = generic.read_event(
        await request.body(), dict(request.headers), secrets=settings.webhook_secrets
    )
    ingested = await service.record_call_event(session, event, settings=settings)
    return WebhookAccepted(duplicate=ingested.duplicate, call_id=ingested.call.id)

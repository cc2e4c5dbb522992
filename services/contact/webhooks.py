"""Provider webhooks: Twilio, Amazon Connect and the generic signed call event.

Each route verifies the provider's signature or key on the raw body before it parses or
stores anything, stores the event once per provider dedup key and answers quickly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import calls, channels
from services.contact.callmodel import NormalizedEvent
from services.contact.errors import InvalidWebhookError, SignatureError
from services.contact.models import Customer
from services.contact.providers import connect, generic, twilio
from services.contact.schemas import WebhookAccepted
from services.contact.settings import ContactSettings
from shared.db import get_session, utcnow

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Signature or key missing, wrong or stale; nothing stored", **_PROBLEM},
    422: {"description": "Signed but not a valid event", **_PROBLEM},
}
_XML = "application/xml"


def _settings(request: Request) -> ContactSettings:
    settings: ContactSettings = request.app.state.settings
    return settings


Settings = Annotated[ContactSettings, Depends(_settings)]


def public_url(settings: ContactSettings, request: Request) -> str:
    """The URL the provider called: public base URL, our path and the raw query string."""
    query = request.url.query
    return settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def twilio_params(request: Request, settings: ContactSettings) -> twilio.FormParams:
    """The form parameters of a request Twilio signed; `SignatureError` otherwise."""
    body = await request.body()
    return twilio.verify(
        tokens=settings.twilio_auth_tokens,
        public_url=public_url(settings, request),
        body=body,
        signature=request.headers.get("x-twilio-signature"),
        settings_header=request.headers.get("x-twilio-webhooks-signature-settings"),
    )


def _parse(build: Callable[[], NormalizedEvent]) -> NormalizedEvent:
    try:
        return build()
    except twilio.MissingParameterError as exc:
        raise InvalidWebhookError(f"The request has no `{exc.name}`.") from exc


def _check_fresh(params: twilio.FormParams, settings: ContactSettings) -> None:
    # The signature has no time in it; the signed Timestamp bounds how old a replay can be.
    at = twilio.event_time(params)
    if at is None:
        return
    age = abs((utcnow() - at).total_seconds())
    if age > settings.twilio_max_event_age_seconds:
        raise SignatureError("The signed Timestamp is outside the accepted window.")


async def _queue_for(
    session: AsyncSession, ingested: calls.Ingested, settings: ContactSettings
) -> str:
    # Routing by value tier: the scoring service's latest tier for this caller. A call held
    # for a shared number goes to the priority queue if any of its candidates would.
    call = ingested.call
    ids = [call.customer_id] if call.customer_id is not None else call.candidate_customer_ids
    for customer_id in ids:
        customer = await session.get(Customer, uuid.UUID(str(customer_id)))
        if customer is not None and customer.tier in settings.priority_tiers:
            return settings.twilio_priority_queue
    return settings.twilio_default_queue


@router.post(
    "/twilio/voice",
    summary="Twilio voice webhook: answer an incoming call with TwiML",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_voice(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    ingested = await calls.ingest(
        session, _parse(lambda: twilio.voice_event(params)), region=settings.default_region
    )
    body = twilio.enqueue_twiml(
        queue=await _queue_for(session, ingested, settings), base_url=settings.public_base_url
    )
    return Response(body, media_type=_XML)


@router.post(
    "/twilio/status",
    status_code=204,
    summary="Twilio StatusCallback (call-progress events)",
    response_class=Response,
    responses=_REFUSED,
)
async def twilio_status(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    _check_fresh(params, settings)
    await calls.ingest(
        session, _parse(lambda: twilio.status_event(params)), region=settings.default_region
    )
    return Response(status_code=204)


@router.post(
    "/twilio/recording",
    status_code=204,
    summary="Twilio recording status callback",
    response_class=Response,
    responses=_REFUSED,
)
async def twilio_recording(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    await calls.ingest(
        session, _parse(lambda: twilio.recording_event(params)), region=settings.default_region
    )
    return Response(status_code=204)


@router.post(
    "/twilio/gather",
    summary="Twilio <Gather> action: IVR input, then queue the caller",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_gather(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    ingested = await calls.ingest(
        session, _parse(lambda: twilio.gather_event(params)), region=settings.default_region
    )
    body = twilio.enqueue_twiml(
        queue=await _queue_for(session, ingested, settings), base_url=settings.public_base_url
    )
    return Response(body, media_type=_XML)


@router.post(
    "/twilio/queue-wait",
    summary="Twilio <Enqueue> waitUrl: the caller is waiting in the queue",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_queue_wait(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    queue = request.query_params.get("queue")
    await calls.ingest(
        session,
        _parse(lambda: twilio.queue_wait_event(params, queue)),
        region=settings.default_region,
    )
    return Response(
        twilio.twiml("<Say>Please hold; an agent will be with you shortly.</Say>"), media_type=_XML
    )


@router.post(
    "/twilio/enqueue",
    summary="Twilio <Enqueue> action: the caller left the queue",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_enqueue(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    queue = request.query_params.get("queue")
    await calls.ingest(
        session, _parse(lambda: twilio.enqueue_event(params, queue)), region=settings.default_region
    )
    return Response(twilio.twiml(), media_type=_XML)


@router.post(
    "/twilio/dial",
    summary="Twilio <Dial> action: the dialled agent leg ended",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_dial(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    event = _parse(lambda: twilio.dial_event(params))
    await calls.ingest(session, event, region=settings.default_region)
    if event.state == "connected":
        return Response(twilio.twiml(), media_type=_XML)
    return Response(twilio.voicemail_twiml(base_url=settings.public_base_url), media_type=_XML)


@router.post(
    "/twilio/record",
    summary="Twilio <Record> action: a voicemail was left",
    response_class=Response,
    responses={200: {"content": {_XML: {}}}, **_REFUSED},
)
async def twilio_record(request: Request, session: Session, settings: Settings) -> Response:
    params = await twilio_params(request, settings)
    await calls.ingest(
        session, _parse(lambda: twilio.record_event(params)), region=settings.default_region
    )
    return Response(twilio.twiml("<Hangup/>"), media_type=_XML)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWebhookError("The body is not JSON.") from exc


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
    connect.check_key(
        request.headers.get(settings.connect_api_key_header), settings.connect_api_keys
    )
    body = _json(await request.body())
    event = connect.parse(body, max_age_seconds=settings.connect_max_event_age_seconds)
    if event is None:
        return WebhookAccepted(duplicate=False, ignored=True)
    if isinstance(event, connect.ChannelContact):
        recorded = await channels.record_connect_contact(
            session, event, region=settings.default_region
        )
        return WebhookAccepted(duplicate=not recorded.changed)
    ingested = await calls.ingest(session, event, region=settings.default_region)
    return WebhookAccepted(duplicate=ingested.duplicate, call_id=ingested.call.id)


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
    body = await request.body()
    webhook_id = generic.verify(settings.webhook_secrets, body, dict(request.headers))
    try:
        data = generic.GenericCallEvent.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidWebhookError(
            f"Not a generic call event: {exc.error_count()} error(s)."
        ) from exc
    ingested = await calls.ingest(
        session, generic.normalize(data, webhook_id), region=settings.default_region
    )
    return WebhookAccepted(duplicate=ingested.duplicate, call_id=ingested.call.id)

"""`GET /v1/stream`: Server-Sent Events for the signed-in person."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from services.gateway.auth.dependencies import GatewayPermission
from services.gateway.dependencies import Settings
from services.gateway.settings import GatewaySettings
from services.gateway.stream.audience import concerns
from services.gateway.stream.enrich import enriched
from services.gateway.stream.feed import Feed, decode_position, encode_position
from shared.api import problem
from shared.identity import Identity

router = APIRouter(tags=["live stream"])


@router.get(
    "/v1/stream",
    summary="Live events for the signed-in person (Server-Sent Events)",
    description=(
        "Offers and screen pops for the agent offered (only), complaint escalations and SLA "
        "breaches for supervisors and for the agents handling the customer, tier changes and "
        "rising churn risk for the agents handling the customer. The screen pop of a known "
        "customer carries `customer_360`: the score with the churn reasons and the open "
        "complaints with their SLA clocks, gathered with the agent's permissions within "
        "`GATEWAY_CUSTOMER360_DEADLINE_SECONDS`; a part missing is null and named in "
        "`partial` with the reason in `missing`. Each event's `id` is a "
        "position: reconnect with `Last-Event-ID` (to any gateway replica) to get every later "
        "event, none twice. Beyond the replay window an `event: reset` comes first."
    ),
    responses={401: problem("No valid credential"), 403: problem("Not a person's stream")},
    openapi_extra={"x-permission": "offers:answer"},
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    settings: Settings,
    person: Annotated[Identity, Depends(GatewayPermission("offers:answer"))],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=4000)] = None,
) -> StreamingResponse:
    feed: Feed = request.app.state.feed
    position = decode_position(last_event_id)
    return StreamingResponse(
        _events(request, feed, person, position, settings),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _events(
    request: Request,
    feed: Feed,
    person: Identity,
    position: dict[str, int] | None,
    settings: GatewaySettings,
) -> AsyncIterator[bytes]:
    yield b": connected\n\n"
    async for item, seen in feed.events_after(position):
        if await request.is_disconnected():
            return
        if item is None:
            yield f"event: reset\nid: {encode_position(seen)}\ndata: {{}}\n\n".encode()
            continue
        if not concerns(item.envelope, person, feed.handled):
            continue
        envelope = await enriched(
            item.envelope,
            client=request.app.state.http,
            person=person,
            upstreams=request.app.state.upstream_urls,
            secret=settings.internal_token_secret,
            deadline=settings.customer360_deadline_seconds,
        )
        body = json.dumps(envelope, separators=(",", ":"))
        kind = envelope.get("type", "message")
        yield f"event: {kind}\nid: {encode_position(seen)}\ndata: {body}\n\n".encode()

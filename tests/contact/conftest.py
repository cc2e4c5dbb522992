"""Fixtures of the contact tests: a served contact app with provider credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import func, select

from services.contact.main import create_app
from shared.db import OutboxMessage
from tests.builders import contact_settings
from tests.conftest import serve
from tests.kafka_helpers import eventually

PUBLIC_BASE = "https://rapport.example.com"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
CONNECT_KEY = "connect-key-for-tests"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
async def app_client(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The contact service with Twilio, Amazon Connect and generic-webhook credentials."""
    settings = contact_settings(
        make_database("contact"),
        broker,
        topic_prefix,
        public_base_url=PUBLIC_BASE,
        twilio_auth_tokens=["rotated-out-token", TWILIO_TOKEN],
        connect_api_keys=[CONNECT_KEY],
        webhook_secrets=[WEBHOOK_SECRET],
        kafka_session_timeout_ms=2000,
    )
    app = create_app(settings)
    async for client in serve(app):
        client.app = app  # type: ignore[attr-defined]
        # Stopping a consumer that is still starting can outlast the lifespan's shutdown limit.
        await eventually(
            lambda: all(r.connected for r in app.state.consumers), what="consumers started"
        )
        yield client


async def count_rows(client: httpx.AsyncClient, model: type) -> int:
    """Rows of `model` in the app's database."""
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def outbox_types(client: httpx.AsyncClient) -> list[str]:
    """Types of the staged events, oldest first."""
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.scalars(select(OutboxMessage.event_type).order_by(OutboxMessage.id))
        return list(rows.all())

"""Problem details for every error, request ids, and commits that happen before the response."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.settings import GatewaySettings
from shared.app import ServiceSpec, create_service_app
from shared.db import OutboxMessage, get_session
from shared.errors import ConflictError
from tests.conftest import serve
from tools.services import BY_NAME

Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


class ThingTakenError(ConflictError):
    code = "thing-taken"


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=0)


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create(thing: Thing) -> Thing:
        return thing

    @router.get("/conflict")
    async def conflict() -> None:
        raise ThingTakenError("That thing is taken.", extra={"thing": "x"})

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgres://u:p@h/db")

    @router.post("/rows", status_code=201)
    async def two_rows_same_id(session: Session) -> dict[str, str]:
        for _ in range(2):  # the unique violation surfaces only at commit
            session.add(
                OutboxMessage(event_id="same", event_type="t", topic="t", key=None, payload="{}")
            )
        return {"status": "created"}

    return router


@pytest.fixture
async def client(make_database: Callable[[str], str]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        ServiceSpec(
            name="probe",
            title="probe",
            description="probe",
            settings=GatewaySettings(database_url=make_database("gateway"), migrate_on_start=False),
            migrations_dir=BY_NAME["gateway"].migrations_dir,
            routers=[_router()],
            uses_broker=False,
        )
    )
    async for c in serve(app):
        c.app = app  # type: ignore[attr-defined]
        yield c


def _is_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:rapport:problem:{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    _is_problem(await client.get("/nowhere"), 404, "not-found")


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    _is_problem(await client.delete("/things"), 405, "method-not-allowed")


async def test_invalid_body_is_a_422_problem_with_each_error(client: httpx.AsyncClient) -> None:
    body = _is_problem(
        await client.post("/things", json={"name": "", "size": -1}), 422, "validation-failed"
    )

    locations = {tuple(e["loc"]) for e in body["errors"]}  # type: ignore[attr-defined]
    assert locations == {("body", "name"), ("body", "size")}


async def test_typed_errors_keep_their_status_code_and_extras(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.get("/conflict"), 409, "thing-taken")

    assert body["detail"] == "That thing is taken."
    assert body["thing"] == "x"


async def test_unexpected_errors_are_a_500_problem_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")

    _is_problem(response, 500, "internal-error")
    assert "postgres://" not in response.text


async def test_a_failed_commit_never_answers_2xx_and_keeps_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/rows")

    assert response.status_code == 500
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_sane_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123.x:y"})

    assert response.headers["x-request-id"] == "abc-123.x:y"


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 200, "<script>"])
async def test_a_missing_or_odd_request_id_is_replaced(
    client: httpx.AsyncClient, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-ID": given}

    response = await client.get("/healthz", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"

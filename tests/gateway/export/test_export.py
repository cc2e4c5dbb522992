"""The customer export: every service's part in one document, never a partial one."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import serve
from tests.gateway.conftest import BOOTSTRAP_KEY, uvicorn_server

KEY = {"X-API-Key": BOOTSTRAP_KEY}
CUSTOMER, UNKNOWN, SCORING_FAILS = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _service(name: str) -> FastAPI:
    """A stand-in service: its export of CUSTOMER has one row; contact knows no UNKNOWN."""
    app = FastAPI()

    @app.get("/v1/customers/{customer_id}/export")
    async def export(customer_id: uuid.UUID, request: Request) -> JSONResponse:
        assert "x-rapport-identity" in request.headers
        if name == "contact" and customer_id == UNKNOWN:
            return JSONResponse({"code": "customer-not-found"}, status_code=404)
        if name == "scoring" and customer_id == SCORING_FAILS:
            return JSONResponse({"code": "internal"}, status_code=500)
        return JSONResponse(
            {
                "service": name,
                "customer_id": str(customer_id),
                "exported_at": "2026-11-30T12:00:00Z",
                "records": {f"{name}_rows": [{"id": 1, "from": name}]},
            }
        )

    return app


async def test_an_export_is_whole_or_a_503_naming_what_is_missing(
    make_database: Callable[[str], str],
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, Any] = {}
        for name in ("contact", "complaints", "scoring"):
            port = await stack.enter_async_context(uvicorn_server(_service(name)))
            urls[f"{name}_url"] = f"http://127.0.0.1:{port}"
        settings = GatewaySettings(
            database_url=make_database("gateway"),
            migrate_on_start=False,
            api_keys=[BOOTSTRAP_KEY],
            read_retries=0,
            **urls,
        )
        async for client in serve(create_app(settings)):
            whole = await client.get(f"/v1/customers/{CUSTOMER}/export", headers=KEY)
            failing = await client.get(f"/v1/customers/{SCORING_FAILS}/export", headers=KEY)
            unknown = await client.get(f"/v1/customers/{UNKNOWN}/export", headers=KEY)

    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert body["customer_id"] == str(CUSTOMER)
    assert {name: part["records"] for name, part in body["services"].items()} == {
        name: {f"{name}_rows": [{"id": 1, "from": name}]}
        for name in ("contact", "complaints", "scoring")
    }
    assert failing.status_code == 503
    assert failing.headers["content-type"] == "application/problem+json"
    assert failing.json()["code"] == "export-incomplete"
    assert failing.json()["missing"] == {"scoring": "failed"}
    assert failing.headers["retry-after"] == "30"
    assert unknown.status_code == 404 and unknown.json()["code"] == "customer-not-found"

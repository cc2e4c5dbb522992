"""`GET /openapi.json` at the gateway: the whole public API in one document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["api document"])


@router.get(
    "/openapi.json",
    summary="The public API: every service's routes and schemas, with each permission",
    openapi_extra={"x-permission": "(public)"},
    include_in_schema=False,
)
async def public_api(request: Request) -> dict[str, Any]:
    app = request.app
    document: dict[str, Any] = await app.state.openapi.document(app.state.http, app.openapi())
    return document


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Rapport API")

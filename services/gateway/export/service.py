"""Gathering a customer's export: every service's part at once, all of them or an error.

Unlike the customer 360, an export is never partial: a person asking what is kept about them
must get all of it, so a service that is down, slow or failing makes the whole export a 503
naming it. Only "no such customer" from the contact service, which owns customers, is a 404.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from services.gateway.errors import CustomerNotFoundError, ExportIncompleteError
from services.gateway.proxy.service import identity_header
from shared.export import ServiceExport
from shared.identity import Identity

OWNER = "contact"  # the service that knows whether a customer exists


async def _fetch(
    client: httpx.AsyncClient, url: str, headers: list[tuple[str, str]]
) -> tuple[str, Any]:
    """`("ok", json)`, `("absent", None)` for a 404, or `(reason, None)` when it failed."""
    try:
        response = await client.get(url, headers=headers)
    except httpx.TimeoutException:
        return "timeout", None
    except httpx.TransportError:
        return "unavailable", None
    if response.status_code == 200:
        return "ok", response.json()
    if response.status_code == 404:
        return "absent", None
    return "failed", None


async def gather_export(
    client: httpx.AsyncClient,
    customer_id: uuid.UUID,
    *,
    caller: Identity,
    upstreams: dict[str, str],
    secret: str,
    request_id: str | None,
) -> dict[str, ServiceExport]:
    """Each service's export of the customer, fetched in parallel with the caller's identity."""

    def headers(upstream: str) -> list[tuple[str, str]]:
        out = [identity_header(caller, secret=secret, upstream=upstream)]
        return out + ([("x-request-id", request_id)] if request_id else [])

    path = f"/v1/customers/{customer_id}/export"
    answers = await asyncio.gather(
        *(_fetch(client, f"{base}{path}", headers(name)) for name, base in upstreams.items())
    )
    found = dict(zip(upstreams, answers, strict=True))
    if found[OWNER][0] == "absent":
        raise CustomerNotFoundError(customer_id)
    missing = {name: status for name, (status, _) in found.items() if status != "ok"}
    if missing:
        raise ExportIncompleteError(missing)
    return {name: ServiceExport.model_validate(body) for name, (_, body) in found.items()}

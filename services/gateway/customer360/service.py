"""Gathering the customer 360: every part fetched at once, within one deadline.

A part whose service is down, slow, failing or refuses the caller is left out and named in
`partial` with the reason; the view never fails because one service did. Only "no such
customer" from the contact service, which owns customers, makes the whole view a 404.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from services.gateway.errors import CustomerNotFoundError
from services.gateway.proxy.service import identity_header
from shared.identity import Identity

ENDED_STATES = {"closed", "withdrawn"}
LAST = 10  # contacts in the view


@dataclass(frozen=True)
class Part:
    """One piece of the view: which service answers it, at which path."""

    name: str
    upstream: str
    path: str


@dataclass
class Gathered:
    """What came back: each part's JSON, and why the missing ones are missing."""

    found: dict[str, Any]
    missing: dict[str, str]


def parts_of(customer_id: uuid.UUID) -> list[Part]:
    """The parts of a customer's 360 and where each comes from."""
    return [
        Part("customer", "contact", f"/v1/customers/{customer_id}"),
        Part("contacts", "contact", f"/v1/customers/{customer_id}/interactions?limit={LAST}"),
        Part("score", "scoring", f"/v1/customers/{customer_id}/score"),
        Part("complaints", "complaints", f"/v1/complaints?customer_id={customer_id}&limit=50"),
    ]


async def _fetch(
    client: httpx.AsyncClient, part: Part, base_url: str, headers: list[tuple[str, str]]
) -> tuple[str, Any]:
    """`("ok", json)`, `("absent", None)` for a 404, or `(reason, None)` when it failed."""
    try:
        response = await client.get(f"{base_url}{part.path}", headers=headers)
    except httpx.TimeoutException:
        return "timeout", None
    except httpx.TransportError:
        return "unavailable", None
    if response.status_code == 200:
        return "ok", response.json()
    if response.status_code == 404:
        return "absent", None
    if response.status_code in (401, 403):
        return "forbidden", None
    return "failed", None


async def gather_360(
    client: httpx.AsyncClient,
    customer_id: uuid.UUID,
    *,
    caller: Identity,
    upstreams: dict[str, str],
    secret: str,
    deadline: float,
    request_id: str | None,
    parts: list[Part] | None = None,
) -> Gathered:
    """Fetch every part (or `parts`) in parallel; what is not back by `deadline` is missing."""
    parts = parts_of(customer_id) if parts is None else parts

    def headers(part: Part) -> list[tuple[str, str]]:
        out = [identity_header(caller, secret=secret, upstream=part.upstream)]
        return out + ([("x-request-id", request_id)] if request_id else [])

    tasks = {
        p.name: asyncio.ensure_future(_fetch(client, p, upstreams[p.upstream], headers(p)))
        for p in parts
    }
    done, pending = await asyncio.wait(tasks.values(), timeout=deadline)
    for task in pending:
        task.cancel()
    found: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name, task in tasks.items():
        status, body = task.result() if task in done else ("timeout", None)
        if status == "ok":
            found[name] = body
        elif status == "absent":
            found[name] = None
        else:
            missing[name] = status
    if "customer" in found and found["customer"] is None:
        raise CustomerNotFoundError(customer_id)
    return Gathered(found=found, missing=missing)


def open_complaints(page: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The complaints of a listing that are still open."""
    if page is None:
        return None
    return [c for c in page.get("items", []) if c.get("state") not in ENDED_STATES]


def active_contacts(history: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The calls among the last contacts that have not ended: waiting or connected now."""
    if history is None:
        return None
    return [
        item
        for item in history.get("items", [])
        if item.get("call") is not None and item["call"].get("ended_at") is None
    ]

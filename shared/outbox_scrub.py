"""Erasure in the outbox: a customer's events lose their personal data, published or not.

Rows already published are deleted (the broker has them; the row is only a record). Rows not
yet published still have to deliver, so their payload is rewritten with the personal values
replaced by `ERASED`: consumers receive the event, without what was erased. Which fields are
personal is the service's decision; this module only finds the rows and rewrites them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import OutboxMessage

ERASED = "[erased]"

Redact = Callable[[Any], Any]


@dataclass(frozen=True)
class OutboxScrubbed:
    """What an outbox scrub did: rows deleted (published) and rows redacted (waiting)."""

    deleted: int
    redacted: int


def redactor(fields: Collection[str], values: Collection[str]) -> Redact:
    """A JSON rewrite: strings under a key in `fields`, or containing one of `values`, erased.

    Keys are compared case-insensitively; `values` are compared case-insensitively as
    substrings (an e-mail address inside a sentence goes too). Numbers, booleans, ids and
    nulls under other keys are kept, so the event still validates.
    """
    keys = {f.lower() for f in fields}
    needles = [v.lower() for v in values if v]

    def walk(node: Any, personal: bool = False) -> Any:
        if isinstance(node, str):
            hit = personal or any(n in node.lower() for n in needles)
            return ERASED if hit else node
        if isinstance(node, dict):
            return {k: walk(v, personal or str(k).lower() in keys) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item, personal) for item in node]
        return node

    return walk


async def scrub_outbox(
    session: AsyncSession, *, customer_ids: Collection[str], redact: Redact
) -> OutboxScrubbed:
    """Delete the published outbox rows about `customer_ids`; redact the unpublished ones.

    A row is about a customer when it is keyed by its id or its payload names it (a merge
    event names the merged id). Runs in the caller's transaction.
    """
    ids = [str(i) for i in customer_ids]
    if not ids:
        return OutboxScrubbed(deleted=0, redacted=0)
    about = or_(
        OutboxMessage.key.in_(ids),
        *(OutboxMessage.payload.contains(i, autoescape=True) for i in ids),
    )
    published = await session.execute(
        delete(OutboxMessage).where(about, OutboxMessage.published_at.is_not(None))
    )
    waiting = await session.scalars(
        select(OutboxMessage).where(about, OutboxMessage.published_at.is_(None))
    )
    redacted = 0
    for row in waiting:
        envelope = json.loads(row.payload)
        envelope["data"] = redact(envelope.get("data", {}))
        payload = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        if payload != row.payload:
            row.payload = payload
            redacted += 1
    await session.flush()
    deleted: int = getattr(published, "rowcount", 0) or 0
    return OutboxScrubbed(deleted=deleted, redacted=redacted)

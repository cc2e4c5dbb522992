"""A screen pop is enriched with what the other services know, partial when one is down."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from services.gateway.stream.enrich import enriched
from shared.identity import Identity
from tests.gateway.conftest import uvicorn_server
from tools.stack import free_port

SECRET = "screen-pop-test-secret-of-32-bytes-at-least"
ADA = Identity(
    subject="ada", kind="user", roles=["agent"], permissions=["scores:read"], agent_id="ada"
)


def _offer(customer_id: uuid.UUID | None) -> dict[str, object]:
    pop = {"customer_id": str(customer_id) if customer_id else None, "name": "Pat"}
    return {"type": "contact.contact_offered", "data": {"offer_id": "o-1", "screen_pop": pop}}


async def test_a_service_down_leaves_its_part_null_and_named_and_others_pass_through() -> None:
    customer = uuid.uuid4()
    scoring = FastAPI()

    @scoring.get("/v1/customers/{customer_id}/score")
    async def score(customer_id: uuid.UUID) -> dict[str, object]:
        return {"customer_id": str(customer_id), "churn": {"risk": 0.7, "reasons": ["silent"]}}

    async with uvicorn_server(scoring) as port, httpx.AsyncClient() as client:
        upstreams = {
            "scoring": f"http://127.0.0.1:{port}",
            "complaints": f"http://127.0.0.1:{free_port()}",  # nothing listens: down
            "contact": f"http://127.0.0.1:{free_port()}",
        }

        async def enrich(envelope: dict[str, object]) -> dict[str, object]:
            return await enriched(
                envelope,
                client=client,
                person=ADA,
                upstreams=upstreams,
                secret=SECRET,
                deadline=2.0,
            )

        offer = await enrich(_offer(customer))
        unknown = await enrich(_offer(None))
        other = await enrich({"type": "scoring.tier_changed", "data": {}})

    summary = offer["data"]["screen_pop"]["customer_360"]  # type: ignore[index]
    assert summary["score"]["churn"]["reasons"] == ["silent"]
    assert summary["open_complaints"] is None
    assert summary["partial"] == ["complaints"]
    assert summary["missing"] == {"complaints": "unavailable"}
    assert offer["data"]["screen_pop"]["name"] == "Pat"  # type: ignore[index]
    assert unknown == _offer(None)
    assert other == {"type": "scoring.tier_changed", "data": {}}

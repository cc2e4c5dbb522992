"""Accepted calls are connected by the phone system: Twilio's REST API, or a signed PBX webhook.

Twilio's API and the PBX adapter are played by local HTTP servers that check each request;
both refuse the first attempt, so the retry is exercised too.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from tests.builders import call_event
from tests.contact.routing.conftest import as_agent, make_agent, make_queue, wait_for_offer
from tests.gateway.conftest import uvicorn_server
from tests.kafka_helpers import eventually

ACCOUNT = "AC" + "0" * 32
TOKEN = "twilio-token-for-connect-tests"
PBX_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _stand_in(check: Callable[[Request, bytes], dict[str, Any]]) -> tuple[FastAPI, list[Any]]:
    """An HTTP server that refuses the first request, then accepts; records what it checked."""
    app = FastAPI()
    seen: list[Any] = []

    @app.post("/{path:path}")
    async def receive(path: str, request: Request) -> Response:
        seen.append({"path": f"/{path}", **check(request, await request.body())})
        if len(seen) == 1:
            return Response(status_code=503)
        return Response(
            json.dumps(
                {"sid": path.rsplit("/", 1)[-1].removesuffix(".json"), "status": "in-progress"}
            ),
            media_type="application/json",
        )

    return app, seen


async def _queued_call(client: httpx.AsyncClient, provider: str, call_id: str) -> None:
    now = dt.datetime.now(dt.UTC)
    for n, status in enumerate(("ringing", "queued")):
        body = call_event(
            provider=provider,
            call_id=call_id,
            sequence_number=n,
            status=status,
            timestamp=(now + dt.timedelta(seconds=n)).isoformat(),
        )
        answer = await client.post("/v1/contacts/events", json=body)
        assert answer.status_code == 201, answer.text


async def test_an_accepted_twilio_call_is_redirected_to_the_agent_through_the_rest_api(
    start_contact: Callable[..., Any],
) -> None:
    def twilio_check(request: Request, body: bytes) -> dict[str, Any]:
        user, _, password = (
            base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
        )
        form = dict(x.split("=", 1) for x in body.decode().split("&"))
        return {
            "auth": (user, password),
            "twiml": httpx.QueryParams(body.decode())["Twiml"],
            "form": form,
        }

    api, seen = _stand_in(twilio_check)
    async with uvicorn_server(api) as port:
        async for client in start_contact(
            twilio_account_sid=ACCOUNT,
            twilio_auth_tokens=[TOKEN],
            twilio_api_base_url=f"http://127.0.0.1:{port}",
            public_base_url="https://rapport.example.com",
        ):
            await make_queue(client, "support")
            ada = await make_agent(client, "ada", address="client:ada")
            await _queued_call(client, "twilio", "CA" + uuid.uuid4().hex)
            offer = await wait_for_offer(client, ada)
            await client.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ada"))
            await eventually(lambda: len(seen) >= 2, timeout=15, what="the retried redirect")

    first, second = seen[0], seen[1]
    assert first["path"] == second["path"]
    assert second["path"].startswith(f"/2010-04-01/Accounts/{ACCOUNT}/Calls/CA")
    assert second["auth"] == (ACCOUNT, TOKEN)
    assert "<Client>ada</Client>" in second["twiml"]
    assert 'action="https://rapport.example.com/v1/webhooks/twilio/dial"' in second["twiml"]
    assert len(seen) == 2  # acknowledged: not sent again


async def test_an_accepted_pbx_call_is_sent_to_the_adapter_signed_until_acknowledged(
    start_contact: Callable[..., Any],
) -> None:
    def pbx_check(request: Request, body: bytes) -> dict[str, Any]:
        Webhook(PBX_SECRET).verify(body, dict(request.headers))  # raises when not signed
        return {"payload": json.loads(body), "id": request.headers["webhook-id"]}

    adapter, seen = _stand_in(pbx_check)
    async with uvicorn_server(adapter) as port:
        async for client in start_contact(
            pbx_connect_url=f"http://127.0.0.1:{port}/connect", pbx_connect_secret=PBX_SECRET
        ):
            await make_queue(client, "support")
            ben = await make_agent(client, "ben", address="PJSIP/1042")
            await _queued_call(client, "asterisk", "1700000000.77")
            offer = await wait_for_offer(client, ben)
            await client.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ben"))
            await eventually(lambda: len(seen) >= 2, timeout=15, what="the retried request")

    assert [s["payload"]["call_id"] for s in seen] == ["1700000000.77"] * 2
    assert seen[1]["payload"]["agent"] == "PJSIP/1042"
    assert seen[1]["payload"]["type"] == "connect"
    assert seen[0]["id"] == seen[1]["id"]  # the same message, retried

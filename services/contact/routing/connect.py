"""Telling the phone system to connect an accepted call to its agent, retried until it answers.

- Twilio: the caller waits in an `<Enqueue>` queue; the call is redirected through Twilio's
  REST API (`Calls(sid).update(twiml=…)`) to a `<Dial>` of the agent's address (a Twilio
  client, a number or a SIP URI), whose end Twilio reports to our `<Dial>` action webhook.
- Any other provider (Asterisk, FreeSWITCH adapters): a Standard-Webhooks-signed POST to the
  adapter's URL, `{"type": "connect", "call_id": …, "agent": …}`; any 2xx acknowledges it.

A failed attempt is retried with a doubling backoff (up to a minute); the request stays in the
database, so a restart of the service loses none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
from standardwebhooks.webhooks import Webhook
from twilio.twiml.voice_response import Dial, VoiceResponse

from services.contact.models import ConnectRequest
from services.contact.settings import ContactSettings
from shared.logging import get_logger

log = get_logger(__name__)
MAX_BACKOFF_SECONDS = 60.0


class ConnectError(Exception):
    """The phone system did not take the instruction."""


def dial_twiml(address: str, *, action_url: str) -> str:
    """TwiML that dials the agent at `address` and reports the dialled leg to `action_url`."""
    response = VoiceResponse()
    dial = Dial(action=action_url, method="POST")
    kind, _, value = address.partition(":")
    if kind == "client" and value:
        dial.client(value)
    elif kind == "sip":
        dial.sip(address)
    else:
        dial.number(address)
    response.append(dial)
    return str(response)


class PhoneSystem:
    """The connectors, configured from the settings; one per app."""

    def __init__(self, settings: ContactSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def configured_for(self, provider: str) -> bool:
        """Whether a connector is set up for `provider`'s calls."""
        if provider == "twilio":
            return bool(self.settings.twilio_account_sid and self.settings.twilio_auth_tokens)
        return bool(self.settings.pbx_connect_url and self.settings.pbx_connect_secret)

    async def connect(self, request: ConnectRequest) -> None:
        """Send one connect instruction; raise `ConnectError` when it was not taken."""
        if request.provider == "twilio":
            await self._twilio(request)
        else:
            await self._pbx(request)

    async def _twilio(self, request: ConnectRequest) -> None:
        settings = self.settings
        if not settings.twilio_account_sid or not settings.twilio_auth_tokens:
            raise ConnectError("CONTACT_TWILIO_ACCOUNT_SID / _AUTH_TOKENS are not set")
        twiml = dial_twiml(
            request.agent_address,
            action_url=f"{settings.public_base_url.rstrip('/')}/v1/webhooks/twilio/dial",
        )

        def update() -> None:
            from twilio.rest import Client  # the REST client is large: loaded on first use

            client = Client(settings.twilio_account_sid, settings.twilio_auth_tokens[0])
            client.api.base_url = settings.twilio_api_base_url.rstrip("/")
            client.calls(request.provider_call_id).update(twiml=twiml)

        try:
            # The twilio package's client is synchronous: keep it off the event loop.
            await asyncio.to_thread(update)
        except Exception as exc:
            raise ConnectError(f"Twilio refused the redirect: {exc}") from exc

    async def _pbx(self, request: ConnectRequest) -> None:
        settings = self.settings
        if not settings.pbx_connect_url or not settings.pbx_connect_secret:
            raise ConnectError("CONTACT_PBX_CONNECT_URL / _SECRET are not set")
        payload = json.dumps(
            {
                "type": "connect",
                "provider": request.provider,
                "call_id": request.provider_call_id,
                "agent": request.agent_address,
                "request_id": str(request.id),
            }
        )
        message_id = f"msg_{request.id.hex}"
        now = dt.datetime.now(dt.UTC)
        signature = Webhook(settings.pbx_connect_secret).sign(message_id, now, payload)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        try:
            answer = await self.http.post(
                settings.pbx_connect_url, content=payload, headers=headers, timeout=5
            )
        except httpx.HTTPError as exc:
            raise ConnectError(f"the PBX adapter is unreachable: {exc!r}") from exc
        if not answer.is_success:
            raise ConnectError(f"the PBX adapter answered {answer.status_code}")


async def send_due(phone: PhoneSystem, requests: list[ConnectRequest], now: dt.datetime) -> int:
    """Try every due request once; success marks it done, failure schedules the next try."""
    done = 0
    for request in requests:
        if not phone.configured_for(request.provider):
            # Nothing to tell: the phone system routes its own calls to the agent it is told
            # about elsewhere (a desk phone that rings when the agent accepts, say).
            request.done_at, request.last_error = now, "no connector is configured"
            log.warning("connect_not_configured", provider=request.provider)
            continue
        request.attempts += 1
        try:
            await phone.connect(request)
        except ConnectError as exc:
            backoff = min(2.0 ** (request.attempts - 1), MAX_BACKOFF_SECONDS)
            request.next_attempt_at = now + dt.timedelta(seconds=backoff)
            request.last_error = str(exc)[:2000]
            log.warning("connect_retry", provider=request.provider, attempts=request.attempts)
            continue
        request.done_at, request.last_error = now, None
        done += 1
    return done

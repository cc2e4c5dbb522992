"""TwiML answers to Twilio's voice requests: queue the caller, hold, take a voicemail."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from services.contact.calls.callmodel import NormalizedEvent

WEBHOOK_PREFIX = "/v1/webhooks/twilio"


def twiml(*verbs: str) -> str:
    """A TwiML document with `verbs` inside <Response>."""
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


def enqueue_twiml(*, queue: str, base_url: str) -> str:
    """Put the caller into `queue`, with our wait and action callbacks."""
    prefix = base_url.rstrip("/") + WEBHOOK_PREFIX
    query = urlencode({"queue": queue})
    wait = quoteattr(f"{prefix}/queue-wait?{query}")
    action = quoteattr(f"{prefix}/enqueue?{query}")
    return twiml(f"<Enqueue waitUrl={wait} action={action}>{escape(queue)}</Enqueue>")


def voicemail_twiml(*, base_url: str) -> str:
    """Offer the caller to leave a message, recorded with our action callback."""
    action = quoteattr(base_url.rstrip("/") + WEBHOOK_PREFIX + "/record")
    return twiml(
        "<Say>Nobody is available. Please leave a message after the tone.</Say>",
        f'<Record action={action} maxLength="120"/>',
    )


def dial_twiml(event: NormalizedEvent, *, base_url: str) -> str:
    """After a <Dial>: nothing more once an agent answered, else offer a voicemail."""
    if event.state == "connected":
        return twiml()
    return voicemail_twiml(base_url=base_url)

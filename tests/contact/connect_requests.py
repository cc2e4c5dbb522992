"""Amazon Connect contact events as EventBridge posts them, for the contact tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

PATH = "/v1/webhooks/amazon-connect"
INSTANCE = "arn:aws:connect:us-west-2:111122223333:instance/12345678-aaaa-bbbb-cccc-123456789012"


def connect_event(event_type: str, contact_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge envelope of one Amazon Connect contact event."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "111122223333",
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-west-2",
        "resources": [INSTANCE],
        "detail": {
            "eventType": event_type,
            "contactId": contact_id,
            "channel": "VOICE",
            "instanceArn": INSTANCE,
            "initiationMethod": "INBOUND",
            "initiationTimestamp": "2026-11-02T09:30:00.000Z",
            "tags": {"aws:connect:systemEndpoint": "+14155550199"},
            **detail,
        },
    }

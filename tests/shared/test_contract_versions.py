"""Old event versions still on the topics are read as the newest version."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.contracts import registry
from shared.contracts.contact import CallEventRecordedV1, CallEventRecordedV2
from shared.events import to_envelope


def test_a_v1_call_event_recorded_reads_as_v2_with_the_provider_call_id() -> None:
    old = CallEventRecordedV1(
        call_event_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        provider="twilio",
        call_id="CA0123456789abcdef0123456789abcdef",
        sequence_number=2,
        status="ringing",
        occurred_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC),
        first_event_of_call=True,
    )

    decoded = registry.decode(to_envelope(old, source="rapport/contact"))

    assert isinstance(decoded, CallEventRecordedV2)
    assert decoded.provider_call_id == "CA0123456789abcdef0123456789abcdef"
    assert decoded.model_dump(exclude={"provider_call_id"}) == old.model_dump(exclude={"call_id"})

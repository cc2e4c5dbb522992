"""Property: whatever a Kafka record holds, decoding yields an event or `UndecodableEventError`.

A record that can never be handled must be recognised as such (and dead-lettered), never crash
the consumer with another exception.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import registry
from shared.events import CloudEvent, UndecodableEventError
from tests.fuzz import PROPERTY_EXAMPLES

FUZZ = settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)
_types = sorted({cls.type for cls in registry.classes()})
_fields = sorted({name for cls in registry.classes() for name in cls.model_fields})
_data = st.dictionaries(st.sampled_from(_fields) | st.text(max_size=8), _json, max_size=12)
_envelopes = st.fixed_dictionaries(
    {
        "specversion": st.just("1.0"),
        "id": st.text(min_size=1, max_size=20),
        "source": st.just("rapport/test"),
        "type": st.sampled_from(_types) | st.text(max_size=20),
        "time": st.just(dt.datetime.now(dt.UTC).isoformat()),
        "dataversion": st.integers(min_value=1, max_value=4),
        "data": _data,
    }
)


def _decode(raw: bytes) -> None:
    with contextlib.suppress(UndecodableEventError):
        registry.decode(CloudEvent.from_bytes(raw))


@FUZZ
@given(raw=st.binary(max_size=400))
def test_any_bytes_decode_or_are_undecodable(raw: bytes) -> None:
    _decode(raw)


@FUZZ
@given(envelope=_envelopes)
def test_any_data_of_a_known_type_decodes_or_is_undecodable(envelope: dict[str, object]) -> None:
    _decode(json.dumps(envelope).encode())

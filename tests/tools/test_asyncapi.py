"""The AsyncAPI document names every topic and every version of every event, from the classes."""

from __future__ import annotations

import json

from shared.contracts import ALL_TOPICS, registry
from tools.export_events import ASYNCAPI, asyncapi


def test_every_event_version_is_a_message_on_its_topic() -> None:
    document = asyncapi()

    for cls in registry.classes():
        name = f"{cls.type}.v{cls.version}"
        assert name in document["channels"][cls.topic]["messages"], name
        message = document["components"]["messages"][name]
        assert message["payload"]["$ref"] == f"events/{name}.schema.json"
    assert set(document["channels"]) <= set(ALL_TOPICS)


def test_the_committed_document_is_the_generated_one() -> None:
    assert json.loads(ASYNCAPI.read_text()) == asyncapi()

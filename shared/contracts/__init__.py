"""Event contracts between services: every published event class, its topic and the registry."""

from shared.contracts import contact as contact
from shared.contracts.registry import registry
from shared.contracts.topics import ALL_TOPICS, dead_letter_topic

__all__ = ["ALL_TOPICS", "dead_letter_topic", "registry"]

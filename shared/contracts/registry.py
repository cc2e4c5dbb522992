"""The one registry of Rapport's published events."""

from shared.events import EventRegistry

registry = EventRegistry()

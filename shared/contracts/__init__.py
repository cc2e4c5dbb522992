"""Event contracts between services: every published event class, its topic and the registry.

Each module in this package holds one producer's events and registers them on import; all
of them are imported here, so `registry` knows every event of the system.
"""

import importlib
import pkgutil

from shared.contracts.registry import registry
from shared.contracts.topics import ALL_TOPICS, dead_letter_topic

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("registry", "topics"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ALL_TOPICS", "dead_letter_topic", "registry"]

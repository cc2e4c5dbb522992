"""Write the JSON Schema of every event to docs/events/ and the AsyncAPI document of the topics
to docs/asyncapi.json; `--check` fails when either is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from shared.contracts import registry
from tools.services import ROOT

EVENTS_DIR = ROOT / "docs" / "events"
ASYNCAPI = ROOT / "docs" / "asyncapi.json"


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document: one channel per topic, one message per event type and version."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cls in registry.classes():
        name = f"{cls.type}.v{cls.version}"
        messages[name] = {
            "name": cls.type,
            "title": f"{cls.type} v{cls.version}",
            "summary": (cls.__doc__ or "").strip(),
            "contentType": "application/cloudevents+json",
            "payload": {"$ref": f"events/{name}.schema.json"},
        }
        channel = channels.setdefault(
            cls.topic,
            {
                "address": cls.topic,
                "description": "Keyed by the customer id: one customer's events stay in order.",
                "messages": {},
            },
        )
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for topic, channel in channels.items():
        producer = topic.split(".", 1)[0]
        operations[f"{producer}.publishes.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "summary": f"Published by the {producer} side through its transactional outbox.",
            "messages": [{"$ref": f"#/channels/{topic}/messages/{m}"} for m in channel["messages"]],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rapport events",
            "version": "1",
            "description": (
                "CloudEvents 1.0 in structured JSON mode on Kafka topics. Every event carries "
                "`dataversion`; consumers upcast older versions. Generated from the event "
                "classes in shared/contracts (`make events`)."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages},
    }


def _asyncapi_text() -> str:
    return json.dumps(asyncapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """File name → schema text for every registered event class."""
    out: dict[str, str] = {}
    for cls in registry.classes():
        name = f"{cls.type}.v{cls.version}.schema.json"
        out[name] = json.dumps(registry.json_schema(cls), indent=2, sort_keys=True) + "\n"
    return out


def stale(directory: Path = EVENTS_DIR) -> list[str]:
    """Names of schema files that are missing, different, or no longer have an event class."""
    wanted = rendered()
    problems = [
        n
        for n, text in wanted.items()
        if not (directory / n).is_file() or (directory / n).read_text() != text
    ]
    problems += [p.name for p in directory.glob("*.schema.json") if p.name not in wanted]
    if directory == EVENTS_DIR and (
        not ASYNCAPI.is_file() or ASYNCAPI.read_text() != _asyncapi_text()
    ):
        problems.append(ASYNCAPI.name)
    return sorted(problems)


def main(check: bool = typer.Option(False, help="Fail instead of writing.")) -> None:
    """Export (or check) docs/events/*.schema.json."""
    if check:
        problems = stale()
        if problems:
            typer.echo("Event schemas are stale; run `make events`: " + ", ".join(problems))
            sys.exit(1)
        typer.echo(f"event schemas up to date ({len(rendered())})")
        return
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    wanted = rendered()
    for path in EVENTS_DIR.glob("*.schema.json"):
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        (EVENTS_DIR / name).write_text(text)
    ASYNCAPI.write_text(_asyncapi_text())
    typer.echo(f"wrote {len(wanted)} schemas to {EVENTS_DIR.relative_to(ROOT)} and {ASYNCAPI.name}")


if __name__ == "__main__":
    typer.run(main)

"""Rebuild scores from the event log: `python -m services.scoring.replay [--reset]`.

Reads the scoring service's input topics from the beginning (no consumer group, so the live
consumers' offsets are untouched) and applies every event through the same handlers as the
live consumers. Each event is claimed under the consumer name `scoring.replay`, so running it
twice changes nothing; `--reset` clears the per-customer state first and rebuilds it whole.
Replayed changes are not published (the handlers rescore with `publish_events=False`): the
live service already published them. A poll is applied in one transaction, and consecutive
transactions in one call of the batch handler, as the live consumer does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.consumers import consumer_specs
from services.scoring.model.cache import ModelCache
from services.scoring.models import (
    ComplaintState,
    CustomerStats,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
    StateChange,
)
from services.scoring.scores.service import Scorer
from services.scoring.settings import ScoringSettings
from shared.contracts import registry
from shared.db import Database, ProcessedEvent
from shared.events import CloudEvent, UndecodableEventError
from shared.inbox import BatchHandler, Handler, claim, claim_many
from shared.migrations import upgrade_async

CONSUMER = "scoring.replay"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ReplayStats:
    """What a replay did."""

    records: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    undecodable: int = 0


async def reset_state(db: Database) -> None:
    """Forget every per-customer statistic and the replay's own processed-event rows.

    Aliases and erasure tombstones stay: an erased customer must not be rebuilt from the log.
    """
    async with db.sessionmaker() as session:
        for table in (
            ScoreHistory,
            StateChange,
            PurchaseDay,
            RecordedTransaction,
            ComplaintState,
            CustomerStats,
        ):
            await session.execute(delete(table))
        await session.execute(delete(ProcessedEvent).where(ProcessedEvent.consumer == CONSUMER))
        await session.commit()


async def _end_offsets(consumer: AIOKafkaConsumer, topics: list[str]) -> dict[TopicPartition, int]:
    existing = await consumer.topics()  # also refreshes the metadata
    partitions: list[TopicPartition] = []
    for topic in topics:
        found = consumer.partitions_for_topic(topic) if topic in existing else None
        partitions += [TopicPartition(topic, p) for p in sorted(found or ())]
    if not partitions:
        return {}
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    return {tp: end for tp, end in ends.items() if end > starts[tp]}


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """True while some partition has records before its end offset left to read."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def _apply_batch(
    db: Database,
    records: list[ConsumerRecord[bytes, bytes]],
    handlers: dict[str, Handler],
    stats: ReplayStats,
) -> None:
    """Apply a poll in one transaction; consecutive events of a batch handler in one call."""
    async with db.sessionmaker() as session:
        run: list[tuple[Any, CloudEvent]] = []
        for record in records:
            decoded = _decode(record, handlers, stats)
            if decoded is None:
                continue
            handler = handlers[decoded[1].type]
            if run and (not isinstance(handler, BatchHandler) or run[0][1].type != decoded[1].type):
                await _apply_run(session, run, handlers, stats)
                run = []
            if isinstance(handler, BatchHandler):
                run.append(decoded)
            elif await claim(session, consumer=CONSUMER, event_id=decoded[1].id):
                await handler(session, *decoded)
                stats.applied += 1
            else:
                stats.duplicates += 1
        if run:
            await _apply_run(session, run, handlers, stats)
        await session.commit()


def _decode(
    record: ConsumerRecord[bytes, bytes], handlers: dict[str, Handler], stats: ReplayStats
) -> tuple[Any, CloudEvent] | None:
    """The record's event and envelope if a handler takes it; None (and counted) otherwise."""
    stats.records += 1
    try:
        envelope = CloudEvent.from_bytes(record.value)
        event = registry.decode(envelope)
    except UndecodableEventError:
        stats.undecodable += 1
        return None
    if event is None or envelope.type not in handlers:
        stats.ignored += 1
        return None
    return event, envelope


async def _apply_run(
    session: AsyncSession,
    run: list[tuple[Any, CloudEvent]],
    handlers: dict[str, Handler],
    stats: ReplayStats,
) -> None:
    """Claim a run of events of one batch handler together and hand over the new ones."""
    handler = handlers[run[0][1].type]
    assert isinstance(handler, BatchHandler)
    fresh = await claim_many(session, consumer=CONSUMER, event_ids=[e.id for _, e in run])
    items: list[tuple[Any, CloudEvent]] = []
    for event, envelope in run:
        if envelope.id in fresh:
            fresh.discard(envelope.id)
            items.append((event, envelope))
    if items:
        await handler.handle(session, items)
    stats.applied += len(items)
    stats.duplicates += len(run) - len(items)


async def replay(
    settings: ScoringSettings, *, reset: bool, show_progress: bool = True
) -> ReplayStats:
    """Apply every event of the input topics, from the beginning, to the scoring database."""
    db = Database(settings.database_url)
    stats = ReplayStats()
    handlers: dict[str, Handler] = {}
    topics: list[str] = []
    scorer = Scorer(settings=settings, models=ModelCache(), publish_events=False)
    for spec in consumer_specs(scorer):
        handlers.update(spec.handlers)
        topics += [settings.kafka_topic_prefix + t for t in spec.topics]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id=CONSUMER,
    )
    try:
        if settings.migrate_on_start:
            await upgrade_async(MIGRATIONS, settings.database_url)
        if reset:
            await reset_state(db)
        await consumer.start()
        ends = await _end_offsets(consumer, topics)
        total = sum(ends.values())
        with Progress(
            TextColumn("[bold]replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            TimeRemainingColumn(),
            disable=not show_progress,
        ) as progress:
            task = progress.add_task("replay", total=total)
            while await _behind(consumer, ends):
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                records = [
                    r
                    for tp, part in batches.items()
                    for r in part
                    if tp in ends and r.offset < ends[tp]
                ]
                if records:
                    await _apply_batch(db, records, handlers, stats)
                    progress.advance(task, len(records))
    finally:
        await consumer.stop()
        await db.dispose()
    return stats


cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command()
def main(
    reset: bool = typer.Option(False, help="Clear per-customer state first and rebuild it whole."),
) -> None:
    """Rebuild the scoring service's statistics and scores from the event log."""
    stats = asyncio.run(replay(ScoringSettings(), reset=reset))
    typer.echo(
        f"{stats.records} records: {stats.applied} applied, {stats.duplicates} already applied, "
        f"{stats.ignored} ignored, {stats.undecodable} undecodable"
    )


if __name__ == "__main__":
    cli()

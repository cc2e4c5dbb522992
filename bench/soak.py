"""`make soak`: a sustained mixed workload at a fixed rate through the gateway, watched.

Starts a broker and the four services as processes (SQLite files, or the PostgreSQL URLs
given), then for `SOAK_SECONDS` (600 by default) starts `SOAK_RATE` operations a second, each
one of: a Twilio-signed inbound call (voice webhook, ringing, queue, bridged, completed), a
complaint through its lifecycle (filed, acknowledged, assessed, investigating, a proposal,
the decision), or a commerce batch of orders. Every few seconds it samples each service's
resident set (RSS), the outbox backlog and the consumer lag from `/metrics`. The result says
how many operations failed (it must be none), how far RSS moved from the first minute to the
last, and the largest backlog and lag seen; it goes to bench/results/soak.json and a section
of docs/performance.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.bench_memory import rss_mib
from bench.report import DOC, machine
from tools.demo.twilio import TwilioCall
from tools.services import SERVICES
from tools.stack import Broker, free_port
from tools.system import System

RESULT = Path(__file__).parent / "results" / "soak.json"
BEGIN = "<!-- soak:begin (written by make soak) -->"
END = "<!-- soak:end -->"
TWILIO_TOKEN = "soak-" + uuid.uuid4().hex
# Share of each operation in the mix.
KINDS = ("call", "complaint", "orders")
WEIGHTS = (0.5, 0.3, 0.2)
STEPS = ("acknowledged", "assessed", "investigating", "response_proposed")


@dataclass
class Tally:
    """What the workload did and what the services looked like meanwhile."""

    started: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def check(self, response: httpx.Response, what: str) -> httpx.Response:
        self.requests += 1
        if not response.is_success:
            self.errors.append(f"{what}: {response.status_code} {response.text[:200]}")
        return response


async def _call(client: httpx.AsyncClient, gateway: str, tally: Tally, rng: random.Random) -> None:
    caller = f"+1415555{rng.randrange(10_000):04d}"
    call = TwilioCall(client=client, token=TWILIO_TOKEN, public_base=gateway, caller=caller)
    waited, talked = rng.randint(1, 30), rng.randint(30, 300)
    tally.check(await call.status("ringing"), "call ringing")
    tally.check(await call.queue_wait(0), "call queued")
    tally.check(await call.queue_wait(waited), "call waiting")
    tally.check(await call.status("in-progress"), "call answered")
    tally.check(await call.status("completed", duration=waited + talked), "call completed")


async def _complaint(client: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    body = {
        "customer_id": str(uuid.uuid4()),
        "channel": "phone",
        "category": rng.choice(("billing", "service", "product_defect")),
        "severity": rng.choice(("low", "medium", "high")),
        "description": "Filed by the soak workload.",
        "source_contacts": [f"soak:{uuid.uuid4().hex}"],
    }
    filed = tally.check(await client.post("/v1/complaints", json=body), "file complaint")
    if not filed.is_success:
        return
    url = f"/v1/complaints/{filed.json()['id']}/transitions"
    for step in STEPS:
        tally.check(await client.post(url, json={"to": step}), f"to {step}")
    decision = {
        "to": "decision_communicated",
        "decision_channel": "phone",
        "decision_summary": "Refund approved.",
    }
    tally.check(await client.post(url, json=decision), "decision")


async def _orders(client: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    now = dt.datetime.now(dt.UTC)
    customer = str(uuid.UUID(int=rng.getrandbits(128)))
    rows = [
        {
            "transaction_id": uuid.uuid4().hex,
            "customer_id": customer,
            "kind": "order",
            "amount": f"{rng.uniform(5, 200):.2f}",
            "occurred_at": (now - dt.timedelta(days=rng.uniform(0, 300))).isoformat(),
        }
        for _ in range(5)
    ]
    batch = {"transactions": rows}
    tally.check(await client.post("/v1/transactions", json=batch), "transactions")


async def _operation(
    kind: str, client: httpx.AsyncClient, gateway: str, tally: Tally, rng: random.Random
) -> None:
    tally.started[kind] = tally.started.get(kind, 0) + 1
    try:
        if kind == "call":
            await _call(client, gateway, tally, rng)
        elif kind == "complaint":
            await _complaint(client, tally, rng)
        else:
            await _orders(client, tally, rng)
    except Exception as exc:  # a refused connection or a timeout is an error of the run
        tally.errors.append(f"{kind}: {exc!r}"[:300])


def _figures(text: str) -> tuple[float, float]:
    """Outbox backlog and total consumer lag of one service's `/metrics`."""
    backlog = lag = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "rapport_outbox_backlog":
                backlog += sample.value
            elif sample.name == "rapport_consumer_lag":
                lag += sample.value
    return backlog, lag


async def _sample(system: System, started: float, tally: Tally) -> None:
    row: dict[str, Any] = {"t": round(time.monotonic() - started, 1), "rss_mib": {}}
    backlog = lag = 0.0
    async with httpx.AsyncClient(timeout=5) as client:
        for svc in system.processes:
            row["rss_mib"][svc.info.name] = round(rss_mib(svc.process.pid), 1)
            if svc.info.name == "gateway":
                continue
            text = (await client.get(f"{svc.url}/metrics")).text
            b, g = _figures(text)
            backlog, lag = backlog + b, lag + g
    row |= {"outbox_backlog": backlog, "consumer_lag": lag}
    tally.samples.append(row)


async def drive(system: System, *, seconds: float, rate: float, sample_every: float) -> Tally:
    """Run the workload against a started system; the tally of what happened."""
    gateway = next(p.url for p in system.processes if p.info.name == "gateway")
    rng = random.Random(20261130)
    tally = Tally()
    started = time.monotonic()
    tasks: set[asyncio.Task[None]] = set()
    headers = {"X-API-Key": system.api_key}
    # Idle connections expire before the gateway's keep-alive (5 s) closes them under a request.
    limits = httpx.Limits(keepalive_expiry=2.0)
    async with httpx.AsyncClient(
        base_url=gateway, headers=headers, timeout=30, limits=limits
    ) as client:
        await _sample(system, started, tally)
        next_sample = started + sample_every
        for n in range(int(seconds * rate)):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            kind = rng.choices(KINDS, WEIGHTS)[0]
            task = asyncio.create_task(_operation(kind, client, gateway, tally, rng))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if time.monotonic() >= next_sample:
                await _sample(system, started, tally)
                next_sample += sample_every
        await asyncio.gather(*tasks)
        # Let the relays and consumers catch up, then the last sample.
        await asyncio.sleep(min(5.0, sample_every))
        await _sample(system, started, tally)
    return tally


def summarise(tally: Tally, *, seconds: float, rate: float) -> dict[str, Any]:
    """The figures of a run: errors, RSS growth per service, peak backlog and lag."""
    samples = tally.samples
    # RSS growth: the last sample against the largest of the first fifth (after warm-up).
    warm = samples[: max(2, len(samples) // 5)]
    growth = {
        name: round(samples[-1]["rss_mib"][name] - max(s["rss_mib"][name] for s in warm), 1)
        for name in samples[0]["rss_mib"]
    }
    return {
        "seconds": seconds,
        "rate_per_second": rate,
        "operations": tally.started,
        "requests": tally.requests,
        "errors": len(tally.errors),
        "first_errors": tally.errors[:10],
        "rss_growth_mib": growth,
        "rss_last_mib": samples[-1]["rss_mib"],
        "max_outbox_backlog": max(s["outbox_backlog"] for s in samples),
        "max_consumer_lag": max(s["consumer_lag"] for s in samples),
        "final_outbox_backlog": samples[-1]["outbox_backlog"],
        "final_consumer_lag": samples[-1]["consumer_lag"],
        "samples": samples,
    }


def soak_system(bootstrap: str, data: Path, *, topic_prefix: str = "") -> System:
    """A system whose contact service checks Twilio signatures made for the gateway's URL."""
    ports = {s.name: free_port() for s in SERVICES}
    return System(
        bootstrap=bootstrap,
        database_urls={s.name: s.sqlite_url(data) for s in SERVICES},
        api_key="soak-" + uuid.uuid4().hex,
        log_dir=data / "logs",
        ports=ports,
        topic_prefix=topic_prefix,
        extra_env={
            "CONTACT_TWILIO_AUTH_TOKENS": TWILIO_TOKEN,
            "CONTACT_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
            "SCORING_KAFKA_SESSION_TIMEOUT_MS": "6000",
        },
    )


def run(seconds: float, rate: float, *, sample_every: float = 10.0) -> dict[str, Any]:
    """Start a broker and the services, drive them, stop them; the summary."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        system = soak_system(broker.bootstrap, data)
        try:
            system.start()
            tally = asyncio.run(
                drive(system, seconds=seconds, rate=rate, sample_every=sample_every)
            )
        finally:
            system.stop()
            broker.stop()
    return summarise(tally, seconds=seconds, rate=rate)


def write_doc(result: dict[str, Any]) -> None:
    """Put the run's figures between the soak markers of docs/performance.md."""
    rows = "\n".join(
        f"| {name} | {result['rss_last_mib'][name]} | {growth:+} |"
        for name, growth in sorted(result["rss_growth_mib"].items())
    )
    section = (
        f"{BEGIN}\n"
        f"{result['seconds']:.0f} s at {result['rate_per_second']} operations/s "
        f"({sum(result['operations'].values())} operations, {result['requests']} requests): "
        f"**{result['errors']} errors**; largest outbox backlog "
        f"{result['max_outbox_backlog']:.0f}, largest consumer lag "
        f"{result['max_consumer_lag']:.0f} (at the end: {result['final_outbox_backlog']:.0f} "
        f"and {result['final_consumer_lag']:.0f}). Measured on {machine()}.\n\n"
        "| service | RSS at the end (MiB) | growth after warm-up (MiB) |\n|---|---|---|\n"
        f"{rows}\n{END}"
    )
    text = DOC.read_text()
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + section + text[stop:])


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    rate = float(os.environ.get("SOAK_RATE", "4"))
    result = run(seconds, rate)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    write_doc(result)
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"-> {RESULT}\n-> {DOC}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

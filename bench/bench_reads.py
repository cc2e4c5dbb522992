"""Reads at 1M rows: customer, customer list (first page and a page further on), call list,
complaint and score, with wrk straight to each service and through the gateway, on PostgreSQL
and SQLite. Baselines in the same run: the service's `/healthz` (the bare request path) and
the same reads on a small copy (10,000 customers and calls), which shows whether the cost of a
page depends on the size of the table. The CPU each process spends per request is the figure
the load of the shared machine moves least."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import reads_seed
from bench.bench_ingest import _database_urls
from bench.reads_seed import CALL_BASE, COMPLAINT_BASE, Templates, row_id, row_time
from bench.report import figure
from bench.wrk import costed, wrk
from shared.contracts.permissions import PERMISSIONS
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from shared.pagination import encode_cursor
from tools.services import SERVICES
from tools.stack import Broker, Postgres, free_port
from tools.system import System

SECONDS = 8
WARM_SECONDS = 2
PATHS = 2_000  # distinct requests each wrk script cycles through
LIMIT = "10000000/minute"
BACKENDS = ("postgresql", "sqlite")
# (customers = calls, complaints) of the small copy and of the large one.
SMALL = (10_000, 10_000)
LARGE = (1_000_000, 100_000)

# Each read: the service that answers it and the path of request i of its script.
Paths = Callable[[random.Random, int, int], str]
READS: dict[str, tuple[str, Paths]] = {
    "customer": ("contact", lambda r, n, _: f"/v1/customers/{row_id(r.randint(1, n))}"),
    "customer list": ("contact", lambda r, n, _: "/v1/customers?limit=20"),
    "customer list, page further on": (
        "contact",
        lambda r, n, _: "/v1/customers?limit=20&cursor=" + _cursor(r.randint(21, n), 0),
    ),
    "call list, any page": (
        "contact",
        lambda r, n, _: "/v1/calls?limit=20&cursor=" + _cursor(r.randint(21, n), CALL_BASE),
    ),
    "complaint": (
        "complaints",
        lambda r, _, c: f"/v1/complaints/{row_id(r.randint(1, c) + COMPLAINT_BASE)}",
    ),
    "score": ("scoring", lambda r, n, _: f"/v1/customers/{row_id(r.randint(1, n))}/score"),
}


def _cursor(g: int, base: int) -> str:
    """The cursor of the page that starts after row g (the service hands out the same)."""
    return encode_cursor(row_time(g), row_id(g + base))


def script(path: Path, paths: list[str]) -> Path:
    """A wrk Lua script cycling through `paths` (headers from the command line)."""
    items = ",\n".join(f'"{p}"' for p in paths)
    path.write_text(
        f"local paths = {{\n{items}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    return path


def _templates(gateway: str, key: str) -> Templates:
    """One call (with its caller), one complaint and one customer's statistics, made through
    the API: every seeded row is a copy of one of them."""
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    with httpx.Client(base_url=gateway, headers={"X-API-Key": key}, timeout=30) as client:
        event = {
            "provider": "bench",
            "call_id": uuid.uuid4().hex,
            "sequence_number": 0,
            "status": "initiated",
            "from": "+14155550100",
            "to": "+14155550199",
            "timestamp": at,
        }
        recorded = client.post("/v1/contacts/events", json=event)
        recorded.raise_for_status()
        customer = recorded.json()["customer_id"]
        complaint = client.post(
            "/v1/complaints",
            json={
                "customer_id": customer,
                "channel": "phone",
                "category": "billing",
                "description": "Charged twice for the November plan.",
                "severity": "medium",
                "source_contacts": [f"bench:{uuid.uuid4().hex}"],
            },
        )
        complaint.raise_for_status()
        order = {
            "transaction_id": uuid.uuid4().hex,
            "customer_id": customer,
            "kind": "order",
            "amount": "20.00",
            "occurred_at": at,
        }
        client.post("/v1/transactions", json=order).raise_for_status()
    return Templates(
        customer=uuid.UUID(customer),
        call=uuid.UUID(recorded.json()["call_record_id"]),
        complaint=uuid.UUID(complaint.json()["id"]),
        stats_customer=customer,
    )


class Bench:
    """A running system and what it takes to measure a read on it."""

    def __init__(self, system: System, data: Path, database_pid: int | None) -> None:
        self.system, self.data = system, data
        # PostgreSQL's server (its backends are its children): its CPU per request too.
        self.database = {"postgresql": database_pid} if database_pid else {}
        self.by_name = {p.info.name: p for p in system.processes}
        self.caller = Identity(
            subject="bench", kind="api-key", roles=["admin"], permissions=sorted(PERMISSIONS)
        )

    def pid(self, name: str) -> int:
        return self.by_name[name].process.pid

    def target(self, service: str, via_gateway: bool) -> tuple[str, dict[str, str], dict[str, int]]:
        """Base URL, headers and the processes whose CPU a run costs."""
        hops = {service: self.pid(service), **self.database}
        if via_gateway:
            hops["gateway"] = self.pid("gateway")
            return self.by_name["gateway"].url, {"X-API-Key": self.system.api_key}, hops
        token = mint_identity_token(
            self.caller, secret=self.system.internal_token_secret, audience=service
        )
        return self.by_name[service].url, {IDENTITY_HEADER: token}, hops

    def run(self, service: str, lua: Path, *, via_gateway: bool) -> dict[str, Any]:
        """One costed wrk run; any answer other than 2xx fails the benchmark."""
        url, headers, processes = self.target(service, via_gateway)
        result = costed(url, headers, processes, lua, seconds=SECONDS)
        if result["non_2xx"] or not result["requests"]:
            where = "via gateway" if via_gateway else "direct"
            raise RuntimeError(f"{lua.stem} {where}: {result['non_2xx']} answers were not 2xx")
        result["cpu_ms_per_request_service"] = result["cpu_ms_per_request"][service]
        return result

    def reads(self, label: str, customers: int, complaints: int) -> dict[str, Any]:
        """Every read, straight to its service (after a short warm-up) and via the gateway."""
        out: dict[str, Any] = {}
        for name, (service, make) in READS.items():
            rng = random.Random(f"{label}:{name}")
            paths = [make(rng, customers, complaints) for _ in range(PATHS)]
            lua = script(
                self.data / f"{label}-{name.replace(' ', '_').replace(',', '')}.lua", paths
            )
            url, headers, _ = self.target(service, False)
            wrk(url, headers=headers, script=lua, seconds=WARM_SECONDS)
            out[name] = {
                "service": service,
                "direct": self.run(service, lua, via_gateway=False),
                "via_gateway": self.run(service, lua, via_gateway=True),
            }
        return out

    def healthz(self) -> dict[str, Any]:
        """The bare request path of each service that answers a read."""
        out = {}
        for service in sorted({s for s, _ in READS.values()}):
            lua = script(self.data / f"healthz-{service}.lua", ["/healthz"])
            out[service] = self.run(service, lua, via_gateway=False)
        return out


def _system(data: Path, broker: Broker, urls: dict[str, str]) -> System:
    return System(
        bootstrap=broker.bootstrap,
        database_urls=urls,
        api_key="bench-" + uuid.uuid4().hex,
        log_dir=data / "logs",
        ports={s.name: free_port() for s in SERVICES},
        topic_prefix=f"rd{uuid.uuid4().hex[:6]}.",
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_IP": LIMIT,
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": LIMIT,
            **{f"{s.env_prefix}LOG_LEVEL": "WARNING" for s in SERVICES},
        },
    )


def measure(backend: str, data: Path, broker: Broker, postgres: Postgres) -> dict[str, Any]:
    """Seed the small copy, measure, grow it to the large one, measure again."""
    urls = _database_urls(backend, data, postgres)
    system = _system(data, broker, urls)
    result: dict[str, Any] = {"seed_seconds": {}}
    try:
        system.start()
        server = postgres.process if backend == "postgresql" else None
        bench = Bench(system, data, server.pid if server else None)
        templates = _templates(bench.by_name["gateway"].url, system.api_key)
        for label, (people, complaints), first in (("small", SMALL, 1), ("large", LARGE, 10_001)):
            sizes = {
                "customers": (first, people),
                "calls": (first, people),
                "complaints": (first, complaints),
            }
            result["seed_seconds"][label] = reads_seed.seed(urls, templates, sizes, people)
            result[label] = bench.reads(label, people, complaints)
        result["healthz"] = bench.healthz()
    finally:
        system.stop()
    return result


def run() -> dict[str, Any]:
    """Every read on both backends, at 10,000 and at 1,000,000 rows."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        postgres = Postgres(free_port()).start()
        try:
            for backend in BACKENDS:
                (data / backend).mkdir()
                result[backend] = measure(backend, data / backend, broker, postgres)
        finally:
            postgres.stop()
            broker.stop()
    result["setup"] = {
        "wrk": f"1 thread, 16 connections, {SECONDS} s, {PATHS} distinct requests per script",
        "small": {"customers": SMALL[0], "calls": SMALL[0], "complaints": SMALL[1]},
        "large": {"customers": LARGE[0], "calls": LARGE[0], "complaints": LARGE[1]},
        "calls": f"one in ten to {reads_seed.HEAVY} heavy callers, the rest spread",
    }
    result["figures"] = figures(result)
    return result


def figures(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per backend and read: req/s straight to the service next to its /healthz, via the
    gateway next to straight, and the service's CPU per request at 1M next to 10k."""
    rows = []
    for backend in BACKENDS:
        if backend not in result:
            continue
        found = result[backend]
        for name, large in found["large"].items():
            service, small = large["service"], found["small"][name]
            direct, gateway = large["direct"], large["via_gateway"]
            rows += [
                figure(
                    f"{name}, straight to {service}, 1M ({backend})",
                    direct["requests_per_second"],
                    "req/s",
                    f"{service} /healthz",
                    found["healthz"][service]["requests_per_second"],
                    higher=True,
                ),
                figure(
                    f"{name}, via gateway, 1M ({backend})",
                    gateway["requests_per_second"],
                    "req/s",
                    "same read straight to the service",
                    direct["requests_per_second"],
                    higher=True,
                ),
                figure(
                    f"{name}, {service} CPU per request, 1M ({backend})",
                    direct["cpu_ms_per_request_service"],
                    "ms",
                    "same at 10,000",
                    small["direct"]["cpu_ms_per_request_service"],
                    higher=False,
                ),
            ]
            if "postgresql" in direct["cpu_ms_per_request"]:
                rows.append(
                    figure(
                        f"{name}, PostgreSQL CPU per request, 1M",
                        direct["cpu_ms_per_request"]["postgresql"],
                        "ms",
                        "same at 10,000",
                        small["direct"]["cpu_ms_per_request"]["postgresql"],
                        higher=False,
                    )
                )
    return rows

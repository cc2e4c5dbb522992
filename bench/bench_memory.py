"""Memory: each service's resident set idle after start, against a bare FastAPI app served the
same way (the baseline), same run; and scoring's growth per customer it has seen."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.bench_ingest import _serve_echo
from bench.report import figure
from shared.contracts.permissions import PERMISSIONS
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from tools.services import SERVICES
from tools.stack import Broker, free_port, stop_process
from tools.system import System

SETTLE_SECONDS = 5.0
CUSTOMERS = 10_000


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _customers_to_scoring(system: System, url: str, round_: int) -> None:
    caller = Identity(
        subject="bench", kind="api-key", roles=["admin"], permissions=sorted(PERMISSIONS)
    )
    token = mint_identity_token(caller, secret=system.internal_token_secret, audience="scoring")
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "transaction_id": f"mem-{round_}-{i}",
            "customer_id": str(uuid.uuid4()),
            "kind": "order",
            "amount": "25.00",
            "occurred_at": (now - dt.timedelta(days=i % 300)).isoformat(),
        }
        for i in range(CUSTOMERS)
    ]
    response = httpx.post(
        f"{url}/v1/transactions",
        json={"transactions": rows},
        headers={IDENTITY_HEADER: token},
        timeout=120,
    )
    response.raise_for_status()


def run() -> dict[str, Any]:
    """RSS of the four services and of the echo baseline, idle; scoring's growth per customer."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        system = System(
            bootstrap=broker.bootstrap,
            database_urls={s.name: s.sqlite_url(data) for s in SERVICES},
            api_key="bench-" + uuid.uuid4().hex,
            log_dir=data / "logs",
            ports={s.name: free_port() for s in SERVICES},
            topic_prefix=f"mem{uuid.uuid4().hex[:6]}.",
        )
        echo = None
        try:
            system.start()
            echo = _serve_echo(free_port(), data / "echo.log")
            time.sleep(SETTLE_SECONDS)
            idle = {p.info.name: round(rss_mib(p.process.pid), 1) for p in system.processes}
            baseline = round(rss_mib(echo.pid), 1)
            scoring = next(p for p in system.processes if p.info.name == "scoring")
            # The first round brings in what any scoring needs (scipy.special, caches) and the
            # allocator's high-water mark of a 10,000-row request; only the growth over the
            # second round is state kept per customer.
            _customers_to_scoring(system, scoring.url, 1)
            time.sleep(SETTLE_SECONDS)
            first = rss_mib(scoring.process.pid)
            _customers_to_scoring(system, scoring.url, 2)
            time.sleep(SETTLE_SECONDS)
            after = rss_mib(scoring.process.pid)
        finally:
            if echo is not None:
                stop_process(echo)
            system.stop()
            broker.stop()
    per_customer = max(0.0, (after - first) * 1024 * 1024 / CUSTOMERS)
    figures = [
        figure(
            f"{name} RSS idle after start", rss, "MiB", "bare FastAPI app", baseline, higher=False
        )
        for name, rss in sorted(idle.items())
    ]
    return {
        "idle_rss_mib": idle,
        "baseline_fastapi_echo_rss_mib": baseline,
        "scoring_rss_after_first_customers_mib": round(first, 1),
        "scoring_rss_after_second_customers_mib": round(after, 1),
        "customers": CUSTOMERS,
        "scoring_bytes_per_customer": round(per_customer, 1),
        "figures": figures,
    }

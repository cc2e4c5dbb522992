"""Through the gateway with wrk: signed Twilio status callbacks (ingest) and reads, each next
to its baseline in the same run: the same requests straight to the service, and the same
upstream behind nginx. Each run also records the CPU every hop's process spent per request;
py-spy samples the processes on extra runs of their own, so sampling costs no figure."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import profiles
from bench.bench_ingest import PATH, TOKEN, deliveries
from bench.report import figure
from shared.contracts.permissions import PERMISSIONS
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from tools.services import SERVICES
from tools.stack import Broker, free_port, stop_process, wait_for_port
from tools.system import System

SECONDS = 10
CONNECTIONS = 16
ROUNDS = 5
SETTLE_SECONDS = 5
IDLE_SECONDS = 2.0
LIMIT = "10000000/minute"


def wrk(
    url: str,
    *,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
    seconds: int = SECONDS,
) -> dict[str, Any]:
    """Requests/s and latency percentiles of one wrk run (one thread, CONNECTIONS connections)."""
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    result: dict[str, Any] = {"requests_per_second": rps}
    done = re.search(r"(\d+) requests in", out)
    result["requests"] = int(done.group(1)) if done else 0
    for pct in ("50", "99"):
        found = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        if found:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
            result[f"p{pct}_ms"] = round(float(found.group(1)) * scale, 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    return result


def webhook_script(path: Path, public_base: str, identity: str | None = None) -> Path:
    """A wrk Lua script cycling through pre-signed status callbacks (with the gateway's
    identity header when the requests go straight to contact)."""
    extra = f', ["{IDENTITY_HEADER}"] = "{identity}"' if identity else ""
    entries = []
    for body, signature in deliveries(public_base):
        entries.append(f'{{"{body.decode()}", "{signature}"}}')
    path.write_text(
        "local items = {\n" + ",\n".join(entries) + "\n}\nlocal i = 0\n"
        "request = function()\n  i = i % #items + 1\n"
        '  return wrk.format("POST", "' + PATH + '", {["Content-Type"] = '
        '"application/x-www-form-urlencoded", ["X-Twilio-Signature"] = items[i][2]'
        + extra
        + "}, items[i][1])\n"
        "end\n"
    )
    return path


def nginx(data: Path, upstream_port: int, identity: str) -> tuple[subprocess.Popen[bytes], int]:
    """nginx proxying everything to 127.0.0.1:upstream_port with keep-alive upstream connections."""
    port = free_port()
    conf = data / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
daemon off;
pid {data}/nginx.pid;
error_log {data}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  upstream up {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header {IDENTITY_HEADER} "{identity}";
    }}
  }}
}}
"""
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([binary, "-p", str(data), "-c", str(conf)], start_new_session=True)
    wait_for_port(port, timeout=20, process=process)
    return process, port


def _seed(gateway: str, key: str) -> str:
    """A customer known to contact (from the ingest run) with a score; its id."""
    with httpx.Client(base_url=gateway, headers={"X-API-Key": key}, timeout=30) as client:
        listed = client.get("/v1/customers", params={"limit": 1})
        listed.raise_for_status()
        body = listed.json()
        items = body["items"] if isinstance(body, dict) else body
        customer = str(items[0]["customer_id"])
        client.post(
            "/v1/transactions",
            json={
                "transaction_id": uuid.uuid4().hex,
                "customer_id": customer,
                "kind": "order",
                "amount": "20.00",
                "occurred_at": "2026-01-05T10:00:00+00:00",
            },
        ).raise_for_status()
    return customer


def _system(data: Path, broker: Broker) -> System:
    """The four services on SQLite, contact taking callbacks signed for the gateway's URL."""
    ports = {s.name: free_port() for s in SERVICES}
    return System(
        bootstrap=broker.bootstrap,
        database_urls={s.name: s.sqlite_url(data) for s in SERVICES},
        api_key="bench-" + uuid.uuid4().hex,
        log_dir=data / "logs",
        ports=ports,
        topic_prefix=f"gw{uuid.uuid4().hex[:6]}.",
        extra_env={
            "CONTACT_TWILIO_AUTH_TOKENS": TOKEN,
            "CONTACT_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
            "GATEWAY_RATE_LIMIT_PER_IP": LIMIT,
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": LIMIT,
            **{f"{s.env_prefix}LOG_LEVEL": "WARNING" for s in SERVICES},
        },
    )


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput, with every run's throughput beside it."""
    ordered = sorted(runs, key=lambda r: r["requests_per_second"])
    return {**ordered[len(ordered) // 2], "runs": [r["requests_per_second"] for r in runs]}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its children (nginx's worker) have used so far."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def costed(
    url: str,
    headers: dict[str, str],
    processes: dict[str, int],
    script: Path | None = None,
    seconds: int = SECONDS,
) -> dict[str, Any]:
    """One wrk run and the CPU each hop's process spent per request meanwhile (milliseconds):
    what a hop costs, which the throughput of a loaded shared machine hides. What a process
    spends idle (consumers polling, the relay) is measured for IDLE_SECONDS first and taken
    off, so a slow run does not charge its requests with background work."""
    idle = {name: cpu_seconds(pid) for name, pid in processes.items()}
    time.sleep(IDLE_SECONDS)
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    started = time.monotonic()
    result = wrk(url, headers=headers, script=script, seconds=seconds)
    elapsed = time.monotonic() - started
    requests = max(1, result["requests"])
    result["cpu_ms_per_request"] = {}
    result["idle_cpu_share"] = {}
    for name, pid in processes.items():
        background = (before[name] - idle[name]) / IDLE_SECONDS
        spent = cpu_seconds(pid) - before[name] - background * elapsed
        result["cpu_ms_per_request"][name] = round(max(0.0, spent) * 1000 / requests, 3)
        result["idle_cpu_share"][name] = round(background, 3)
    return result


# Opens what one run needs: its URL, request headers and the processes whose CPU it costs.
Target = Callable[[], contextlib.AbstractContextManager[tuple[str, dict[str, str], dict[str, int]]]]


def _alternating(targets: dict[str, Target]) -> dict[str, Any]:
    """Each target measured ROUNDS times, taking turns (the order flips every round), so a
    change of load on the shared machine weighs on every target alike; the median run each.
    A run with any answer other than 2xx is an error: it would measure refusals."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    names = list(targets)
    for round_ in range(ROUNDS):
        for name in names if round_ % 2 == 0 else names[::-1]:
            with targets[name]() as (url, headers, processes):
                run = costed(url, headers, processes)
            if run["non_2xx"]:
                raise RuntimeError(f"{name}: {run['non_2xx']} answers were not 2xx")
            runs[name].append(run)
    return {name: _median_run(found) for name, found in runs.items()}


def _reads(data: Path, system: System, mint: Any, profiled: dict[str, Any]) -> dict[str, Any]:
    """Score reads via the gateway and via nginx in alternating rounds, then straight to scoring
    and a customer read; the profile is taken on a separate run, so sampling costs no figure."""
    by_name = {p.info.name: p for p in system.processes}
    gateway, key, scoring = by_name["gateway"].url, system.api_key, by_name["scoring"]
    pids = {name: p.process.pid for name, p in by_name.items()}
    customer = _seed(gateway, key)
    score = f"/v1/customers/{customer}/score"
    # The ingest run's events are still being applied by scoring: let it settle first.
    time.sleep(SETTLE_SECONDS)
    hops = {"scoring": pids["scoring"]}

    @contextlib.contextmanager
    def via_nginx() -> Iterator[tuple[str, dict[str, str], dict[str, int]]]:
        # The identity token lives a minute: each run gets an nginx with one minted just now.
        proxy, nginx_port = nginx(data, scoring.port, mint("scoring"))
        try:
            yield f"http://127.0.0.1:{nginx_port}{score}", {}, {"nginx": proxy.pid, **hops}
        finally:
            stop_process(proxy)

    via_gateway = (gateway + score, {"X-API-Key": key}, {"gateway": pids["gateway"], **hops})
    reads = _alternating(
        {
            "score_via_gateway": lambda: contextlib.nullcontext(via_gateway),
            "score_via_nginx": via_nginx,
        }
    )
    reads["score_direct"] = wrk(scoring.url + score, headers={IDENTITY_HEADER: mint("scoring")})
    reads["customer_via_gateway"] = wrk(
        gateway + f"/v1/customers/{customer}", headers={"X-API-Key": key}
    )
    with profiles.sampling(data, {n: pids[n] for n in ("gateway", "scoring")}, SECONDS - 2) as p:
        wrk(gateway + score, headers={"X-API-Key": key})
    profiled["score_read"] = p.summary
    return reads


def measure(data: Path, broker: Broker) -> dict[str, Any]:
    """Every scenario with its baseline, on SQLite."""
    system = _system(data, broker)
    caller = Identity(
        subject="bench", kind="api-key", roles=["admin"], permissions=sorted(PERMISSIONS)
    )

    def mint(audience: str) -> str:
        return mint_identity_token(caller, secret=system.internal_token_secret, audience=audience)

    profiled: dict[str, Any] = {}
    try:
        system.start()
        by_name = {p.info.name: p for p in system.processes}
        gateway, contact = by_name["gateway"].url, by_name["contact"].url
        script = webhook_script(data / "direct.lua", gateway, mint("contact"))
        pids = {n: by_name[n].process.pid for n in ("gateway", "contact")}
        direct = costed(contact + PATH, {}, {"contact": pids["contact"]}, script)
        gw_script = webhook_script(data / "gw.lua", gateway)
        through = costed(gateway + PATH, {}, pids, gw_script)
        # Sampling costs CPU: the profile is taken on a run of its own (repeated deliveries).
        with profiles.sampling(data, pids, SECONDS - 2) as prof:
            wrk(gateway + PATH, script=gw_script)
        profiled["ingest"] = prof.summary
        reads = _reads(data, system, mint, profiled)
    finally:
        system.stop()
    return {
        "ingest_via_gateway": through,
        "ingest_direct_to_contact": direct,
        "reads": reads,
        "profiles": profiled,
    }


def run() -> dict[str, Any]:
    """Ingest and reads through the gateway, straight to the service, and behind nginx."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        try:
            result = measure(data, broker)
        finally:
            broker.stop()
    result["setup"] = {
        "wrk": f"1 thread, {CONNECTIONS} connections, {SECONDS} s",
        "score reads": f"gateway and nginx alternating, {ROUNDS} runs each, median run shown",
        "backend": "sqlite",
    }
    result["figures"] = figures(result)
    return result


def figures(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The table rows of one run: each figure next to its baseline."""
    reads = result["reads"]
    return [
        figure(
            "Twilio status callbacks via gateway",
            result["ingest_via_gateway"]["requests_per_second"],
            "req/s",
            "same requests straight to contact",
            result["ingest_direct_to_contact"]["requests_per_second"],
            higher=True,
        ),
        figure(
            "score read via gateway",
            reads["score_via_gateway"]["requests_per_second"],
            "req/s",
            "same read via nginx to scoring",
            reads["score_via_nginx"]["requests_per_second"],
            higher=True,
        ),
        figure(
            "score read via gateway, p99",
            reads["score_via_gateway"].get("p99_ms", 0.0),
            "ms",
            "same read via nginx to scoring, p99",
            reads["score_via_nginx"].get("p99_ms", 0.0),
            higher=False,
        ),
        *_cost_figures(reads),
        figure(
            "score read via nginx",
            reads["score_via_nginx"]["requests_per_second"],
            "req/s",
            "same read straight to scoring",
            reads["score_direct"]["requests_per_second"],
            higher=True,
        ),
        figure(
            "customer read via gateway",
            reads["customer_via_gateway"]["requests_per_second"],
            "req/s",
            "score read straight to scoring",
            reads["score_direct"]["requests_per_second"],
            higher=True,
        ),
    ]


def _cost_figures(reads: dict[str, Any]) -> list[dict[str, Any]]:
    """What the gateway hop costs in CPU per request, next to nginx's and the service's."""
    return [
        figure(
            "gateway CPU per score read",
            reads["score_via_gateway"]["cpu_ms_per_request"]["gateway"],
            "ms",
            "nginx CPU per score read",
            reads["score_via_nginx"]["cpu_ms_per_request"]["nginx"],
            higher=False,
        ),
        figure(
            "gateway CPU per score read, next to the service's",
            reads["score_via_gateway"]["cpu_ms_per_request"]["gateway"],
            "ms",
            "scoring CPU per score read (same run)",
            reads["score_via_gateway"]["cpu_ms_per_request"]["scoring"],
            higher=False,
        ),
    ]

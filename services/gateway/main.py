"""ASGI entry point: `uvicorn --factory services.gateway.main:create_app --port 8000`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from services.gateway.auth.credentials import CredentialCache
from services.gateway.catalogue.routes import router as catalogue_router
from services.gateway.customer360.routes import router as customer360_router
from services.gateway.export.routes import router as export_router
from services.gateway.identity.dev_issuer import DevIssuer
from services.gateway.identity.oidc import KeyResolver, OidcVerifier, jwks_resolver
from services.gateway.identity.routes import router as identity_router
from services.gateway.keys.routes import router as keys_router
from services.gateway.keys.service import revocation_list
from services.gateway.openapi.routes import router as openapi_router
from services.gateway.openapi.service import OpenApiAggregator
from services.gateway.protection.breaker import CircuitBreaker
from services.gateway.protection.headers import ProtectionMiddleware
from services.gateway.protection.rate_limits import RateLimits
from services.gateway.proxy.routes import router as proxy
from services.gateway.proxy.service import upstream_urls
from services.gateway.proxy.tokens import IdentityTokens
from services.gateway.settings import GatewaySettings
from services.gateway.stream.feed import Feed
from services.gateway.stream.routes import router as stream_router
from services.gateway.ui.routes import router as ui_router
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import (
    COMPLAINTS_COMPLAINTS,
    CONTACT_CUSTOMERS,
    CONTACT_ROUTING,
    SCORING_SCORES,
)
from shared.health import ReadinessCheck
from shared.logging import get_logger

log = get_logger(__name__)


def token_verifier(settings: GatewaySettings, dev_issuer: DevIssuer | None) -> OidcVerifier | None:
    """The verifier of people's bearer tokens: the development issuer's, or the configured one's."""
    resolve: KeyResolver
    if dev_issuer is not None:
        issuer, algorithms, resolve = dev_issuer.issuer, ["RS256"], dev_issuer.signing_key
    elif settings.oidc_issuer and settings.oidc_jwks_url:
        issuer, algorithms = settings.oidc_issuer, settings.oidc_algorithms
        resolve = jwks_resolver(
            settings.oidc_jwks_url, refresh_cooldown=settings.oidc_jwks_refresh_cooldown_seconds
        )
    else:
        return None
    return OidcVerifier(
        issuer=issuer,
        audience=settings.oidc_audience,
        algorithms=algorithms,
        resolve_key=resolve,
        roles_claim=settings.oidc_roles_claim,
        agent_claim=settings.oidc_agent_claim,
        leeway_seconds=settings.oidc_leeway_seconds,
    )


def dev_issuer_of(settings: GatewaySettings) -> DevIssuer | None:
    """The development issuer, when enabled."""
    if not settings.dev_issuer_enabled:
        return None
    key_file = Path(settings.dev_issuer_key_file) if settings.dev_issuer_key_file else None
    return DevIssuer(
        f"{settings.public_url.rstrip('/')}/dev-issuer", settings.oidc_audience, key_file
    )


def upstream_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    """The proxy's pooled keep-alive client: bodies relayed as sent, no headers of its own."""
    return aiohttp.ClientSession(
        # Idle upstream connections close before the services' keep-alive (uvicorn: 5 s) does.
        connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=2.0),
        timeout=aiohttp.ClientTimeout(
            total=settings.upstream_timeout_seconds,
            connect=settings.upstream_connect_timeout_seconds,
        ),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
    )


async def poll_revocations(app: FastAPI, interval: float) -> None:
    """Keep this replica's revocation list fresh (keys revoked elsewhere stop here too)."""
    while True:
        try:
            async with app.state.db.sessionmaker() as session:
                app.state.credentials.revocations(await revocation_list(session))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("key_revocations_unread", error=repr(exc))
        await asyncio.sleep(interval)


def http_client(
    settings: GatewaySettings, holder: dict[str, httpx.AsyncClient]
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The app's upstream clients, open for the app's life (refuses to start without a secret).

    The proxy forwards with `aiohttp` (its pool and C parser cost a tenth of httpx's CPU per
    request, see docs/performance.md); the 360, the API document and readiness use httpx.
    """

    @contextlib.asynccontextmanager
    async def resource(app: FastAPI) -> AsyncIterator[None]:
        if not settings.internal_token_secret:
            raise RuntimeError(
                "RAPPORT_INTERNAL_TOKEN_SECRET is not set: the gateway cannot vouch for callers"
            )
        timeout = httpx.Timeout(
            settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds
        )
        # Idle connections are dropped well before the services' keep-alive (uvicorn: 5 s), so
        # a request never goes out on a connection the service is closing at that moment.
        limits = httpx.Limits(
            max_connections=200, max_keepalive_connections=100, keepalive_expiry=2.0
        )
        async with (
            httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False) as client,
            upstream_session(settings) as upstream,
        ):
            app.state.http = holder["http"] = client
            app.state.upstream = upstream
            if app.state.dev_issuer is not None:
                log.warning("dev_issuer_enabled", issuer=app.state.dev_issuer.issuer)
            tasks = [
                asyncio.create_task(app.state.feed.run(), name="gateway-stream-feed"),
                asyncio.create_task(
                    poll_revocations(app, settings.key_revocation_poll_seconds),
                    name="gateway-key-revocations",
                ),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks, timeout=5)

    return resource


def upstream_check(holder: dict[str, httpx.AsyncClient], base_url: str) -> ReadinessCheck:
    """Readiness of one upstream: its `/healthz` answers."""

    async def check() -> None:
        response = await holder["http"].get(f"{base_url}/healthz", timeout=2.0)
        response.raise_for_status()

    return check


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway app: identities, rate limits, request ids, a guarded reverse proxy."""
    settings = settings or GatewaySettings()
    holder: dict[str, httpx.AsyncClient] = {}
    app = create_service_app(
        ServiceSpec(
            name="gateway",
            title="Rapport API gateway",
            description=(
                "The single entry point of Rapport for agent desktops, CTI webhooks and internal "
                "services. People sign in with OIDC bearer tokens, systems with API keys; the "
                "gateway passes the caller's identity to the service that owns the path, which "
                "checks the permission of the operation."
            ),
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[
                openapi_router,
                catalogue_router,
                identity_router,
                keys_router,
                customer360_router,
                export_router,
                stream_router,
                ui_router,
                proxy,
            ],
            openapi_url=None,
            uses_broker=False,
            extra_checks={
                f"upstream:{name}": upstream_check(holder, url)
                for name, url in upstream_urls(settings).items()
            },
            resources=http_client(settings, holder),
        )
    )
    install_state(app, settings)
    return app


def install_state(app: FastAPI, settings: GatewaySettings) -> None:
    """What the routes use: issuer, verifier, limits, breakers, the API document; middleware."""
    app.state.settings = settings
    app.state.dev_issuer = dev_issuer_of(settings)
    app.state.verifier = token_verifier(settings, app.state.dev_issuer)
    app.state.limits = RateLimits(settings)
    app.state.credentials = CredentialCache(settings.credential_cache_seconds)
    app.state.identity_tokens = IdentityTokens(settings.internal_token_secret)
    app.state.upstream_urls = upstream_urls(settings)
    app.state.openapi = OpenApiAggregator(upstream_urls(settings))
    prefix = settings.kafka_topic_prefix
    app.state.feed = Feed(
        settings.kafka_bootstrap_servers,
        # contact.customers for erasures only: the window forgets the erased customer's details.
        [
            prefix + t
            for t in (CONTACT_ROUTING, COMPLAINTS_COMPLAINTS, SCORING_SCORES, CONTACT_CUSTOMERS)
        ],
        settings.stream_replay_events,
    )
    app.state.breakers = {
        name: CircuitBreaker(name, settings.breaker_failures, settings.breaker_open_seconds)
        for name in upstream_urls(settings)
    }
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(ProtectionMiddleware, max_header_bytes=settings.max_header_bytes)

"""`POST /v1/transactions` with 10,000 rows for 5,000 new customers, through the scoring app
in-process: after a fit (each customer gets a first tier, two score events each) against the
same request before any fit (no score events: the baseline), on copies of one database."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx
import numpy as np
from asgi_lifespan import LifespanManager

from shared.contracts.permissions import PERMISSIONS
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token

ROWS = 10_000
CUSTOMERS = 5_000
CALLER = Identity(subject="bench", kind="api-key", roles=["admin"], permissions=sorted(PERMISSIONS))


def body(now: dt.datetime, seed: int) -> dict[str, Any]:
    """ROWS orders of CUSTOMERS customers never seen before."""
    rng = np.random.default_rng(seed)
    customers = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    return {
        "transactions": [
            {
                "transaction_id": f"bulk-{seed}-{i}",
                "customer_id": customers[i % CUSTOMERS],
                "kind": "order",
                "amount": f"{rng.uniform(5, 100):.2f}",
                "occurred_at": (now - dt.timedelta(days=float(rng.uniform(0, 300)))).isoformat(),
            }
            for i in range(ROWS)
        ]
    }


async def post_seconds(settings: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Seconds for one bulk request to the scoring app over `settings`."""
    from services.scoring.main import create_app

    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        token = mint_identity_token(
            CALLER, secret=settings.internal_token_secret, audience="scoring"
        )
        async with httpx.AsyncClient(
            transport=transport, base_url="http://scoring", timeout=120
        ) as client:
            started = time.perf_counter()
            response = await client.post(
                "/v1/transactions", json=payload, headers={IDENTITY_HEADER: token}
            )
            seconds = time.perf_counter() - started
    response.raise_for_status()
    return {"rows": ROWS, "customers": CUSTOMERS, "seconds": round(seconds, 2), **response.json()}

"""Names in any script round-trip unchanged; control characters and huge bodies are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from services.contact.models import Customer
from tests.contact.conftest import count_rows

NAMES = [
    "王小明",  # Chinese
    "Zoë 👩‍👩‍👧‍👦 🇫🇷",  # emoji, a ZWJ family sequence, a flag
    "دانة الشمري",  # right-to-left Arabic
    "שרה כהן\u200f",  # Hebrew with a right-to-left mark
    "Ame\u0301lie Nguyê\u0303n",  # combining marks, not precomposed
    "Ω≈ç√∫ \U0001d518\U0001d52b\U0001d526",  # symbols and astral-plane (Fraktur) letters
]


async def test_names_in_any_script_round_trip_unchanged(app_client: httpx.AsyncClient) -> None:
    ids = []
    for name in NAMES:
        response = await app_client.post("/v1/customers", json={"name": name})
        assert response.status_code == 201, response.text
        ids.append(response.json()["customer_id"])

    for customer_id, name in zip(ids, NAMES, strict=True):
        read = await app_client.get(f"/v1/customers/{customer_id}")
        assert read.json()["name"] == name


async def test_a_nul_in_a_name_is_refused(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/v1/customers", json={"name": "Robert\u0000Tables"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    assert await count_rows(app_client, Customer) == 0


async def test_a_body_over_the_limit_is_refused_with_a_problem(
    app_client: httpx.AsyncClient,
) -> None:
    limit = app_client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    declared = await app_client.post(
        "/v1/customers", content=b" " * (limit + 1), headers={"content-type": "application/json"}
    )
    chunked = await app_client.post(
        "/v1/customers", content=chunks(), headers={"content-type": "application/json"}
    )

    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "payload-too-large"
    assert await count_rows(app_client, Customer) == 0

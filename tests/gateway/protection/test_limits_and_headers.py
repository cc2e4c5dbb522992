"""Guessing is throttled, floods are limited, headers are bounded and answers carry safe headers."""

from __future__ import annotations

from tests.gateway.conftest import BOOTSTRAP_KEY, GatewayFactory, Recorder


async def test_guessing_keys_is_throttled_then_every_request_from_that_ip_waits(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    async with make_gateway() as client:
        statuses = [
            (await client.get("/v1/customers", headers={"X-API-Key": f"guess-{i}"})).status_code
            for i in range(300)
        ]
        with_the_right_key = await client.get("/v1/customers", headers={"X-API-Key": BOOTSTRAP_KEY})

    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}
    assert with_the_right_key.status_code == 429
    assert int(with_the_right_key.headers["retry-after"]) >= 1
    assert with_the_right_key.json()["code"] == "rate-limited"
    assert recorder.requests == []


async def test_each_key_has_its_own_request_limit(make_gateway: GatewayFactory) -> None:
    async with make_gateway(rate_limit_per_principal="5/minute") as client:
        statuses = [
            (await client.get("/v1/customers", headers={"X-API-Key": BOOTSTRAP_KEY})).status_code
            for _ in range(7)
        ]

    assert statuses == [200] * 5 + [429] * 2


async def test_each_client_ip_has_a_request_limit(make_gateway: GatewayFactory) -> None:
    async with make_gateway(rate_limit_per_ip="3/minute") as client:
        statuses = [(await client.post("/v1/webhooks/generic")).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


async def test_oversized_headers_are_431(make_gateway: GatewayFactory) -> None:
    async with make_gateway(max_header_bytes=4096) as client:
        answer = await client.get(
            "/v1/customers", headers={"X-API-Key": BOOTSTRAP_KEY, "X-Padding": "a" * 5000}
        )

    assert answer.status_code == 431
    assert answer.headers["content-type"] == "application/problem+json"


async def test_answers_carry_security_headers_and_hide_the_upstream_server(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        answer = await client.get("/v1/customers", headers={"X-API-Key": BOOTSTRAP_KEY})
        refused = await client.get("/v1/customers")

    for response in (answer, refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "server" not in answer.headers  # the upstream's uvicorn said who it was


async def test_cors_lets_the_agent_desktop_origin_in_and_no_other(
    make_gateway: GatewayFactory,
) -> None:
    desk = "https://desk.example.test"
    async with make_gateway(cors_origins=[desk]) as client:
        allowed = await client.options(
            "/v1/customers",
            headers={"Origin": desk, "Access-Control-Request-Method": "GET"},
        )
        other = await client.options(
            "/v1/customers",
            headers={"Origin": "https://evil.example.test", "Access-Control-Request-Method": "GET"},
        )

    assert allowed.headers["access-control-allow-origin"] == desk
    assert "access-control-allow-origin" not in other.headers

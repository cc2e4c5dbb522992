"""Transactions that look valid but are not: a year-1 order, a refund of an unknown order."""

from __future__ import annotations

import uuid

import httpx

from tests.scoring.conftest import tx


async def _not_scored(client: httpx.AsyncClient, customer: uuid.UUID) -> bool:
    response = await client.get(f"/v1/customers/{customer}/score")
    return response.status_code == 404


async def test_an_order_dated_year_one_is_refused(client: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    order = {**tx(customer, "10.00"), "occurred_at": "0001-01-01T00:00:00Z"}

    response = await client.post("/v1/transactions", json=order)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][-1] == "occurred_at"
    assert await _not_scored(client, customer)


async def test_a_refund_of_an_order_never_recorded_is_refused(client: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    order = tx(customer, "40.00", days_ago=3)
    refund = tx(customer, "15.00", days_ago=1, kind="refund", refers_to="no-such-order")

    response = await client.post("/v1/transactions", json={"transactions": [order, refund]})

    assert response.status_code == 422
    assert response.json()["code"] == "unknown-order"
    assert response.json()["unknown_orders"] == ["no-such-order"]
    assert await _not_scored(client, customer)


async def test_a_refund_may_refer_to_an_order_of_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    customer = uuid.uuid4()
    order = tx(customer, "40.00", days_ago=3)
    refund = tx(customer, "15.00", days_ago=1, kind="refund", refers_to=order["transaction_id"])
    # A refund id is not an order id: refunding the refund is refused.
    again = tx(customer, "1.00", kind="refund", refers_to=refund["transaction_id"])

    response = await client.post("/v1/transactions", json={"transactions": [refund, order]})
    refused = await client.post("/v1/transactions", json=again)

    assert response.json()["accepted"] == 2
    assert refused.status_code == 422

"""POST /v1/transactions and the per-customer statistics it maintains, on both backends."""

from __future__ import annotations

import uuid

import httpx

from tests.scoring.conftest import tx

PROBLEM = "application/problem+json"


async def _score(client: httpx.AsyncClient, customer: uuid.UUID) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/v1/customers/{customer}/score")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_single_and_bulk_transactions_are_applied_once_each(
    client: httpx.AsyncClient,
) -> None:
    customer = uuid.uuid4()
    first = tx(customer, "10.00", days_ago=70)
    single = await client.post("/v1/transactions", json=first)
    assert single.status_code == 200, single.text
    assert single.json()["accepted"] == 1

    batch = [first, tx(customer, "20.00", days_ago=35), tx(customer, "5.50", days_ago=35)]
    batch.append(dict(batch[1]))  # the same id twice in one request
    response = await client.post("/v1/transactions", json={"transactions": batch})
    assert response.status_code == 200, response.text
    assert response.json() | {"events_published": 0} == {
        "accepted": 2,
        "duplicates": 2,
        "customers": 1,
        "events_published": 0,
    }

    purchases = (await _score(client, customer))["purchases"]
    assert purchases["orders"] == 3
    assert purchases["net_spend"] == "35.50"
    assert purchases["purchase_days"] == 2
    assert purchases["x"] == 1
    assert purchases["t_x_weeks"] == 5.0
    assert purchases["T_weeks"] == 10.0
    assert purchases["mean_repeat_spend"] == 25.5


async def test_refunds_reduce_monetary_value(client: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    order = tx(customer, "40.00", days_ago=20)
    repeat = tx(customer, "60.00", days_ago=10)
    refund = tx(customer, "15.00", days_ago=5, kind="refund", refers_to=repeat["transaction_id"])
    response = await client.post("/v1/transactions", json={"transactions": [order, repeat]})
    assert response.status_code == 200
    assert (await client.post("/v1/transactions", json=refund)).json()["accepted"] == 1
    assert (await client.post("/v1/transactions", json=refund)).json()["duplicates"] == 1

    purchases = (await _score(client, customer))["purchases"]
    assert purchases["net_spend"] == "85.00"
    assert purchases["refunded"] == "15.00"
    assert purchases["refunds"] == 1
    assert purchases["x"] == 1
    assert purchases["mean_repeat_spend"] == 45.0


async def test_refunds_and_orders_across_batches_keep_each_days_spend(
    client: httpx.AsyncClient,
) -> None:
    customer = uuid.uuid4()
    first = tx(customer, "40.00", days_ago=20)
    repeat = tx(customer, "60.00", days_ago=10)
    same_batch = tx(
        customer, "15.00", days_ago=9, kind="refund", refers_to=repeat["transaction_id"]
    )
    batch = {"transactions": [first, repeat, same_batch]}
    assert (await client.post("/v1/transactions", json=batch)).json()["accepted"] == 3
    # A later batch: a refund of the first day's order, then another order on that day.
    refund = tx(customer, "10.00", days_ago=2, kind="refund", refers_to=first["transaction_id"])
    assert (await client.post("/v1/transactions", json=refund)).json()["accepted"] == 1
    assert (await client.post("/v1/transactions", json=tx(customer, "5.00", days_ago=20))).json()[
        "accepted"
    ] == 1

    purchases = (await _score(client, customer))["purchases"]
    # Days: first 40 - 10 + 5 = 35, repeat 60 - 15 = 45; net 105 - 25 = 80.
    assert purchases["net_spend"] == "80.00"
    assert purchases["purchase_days"] == 2
    assert purchases["orders"] == 3
    assert purchases["refunds"] == 2
    assert purchases["mean_repeat_spend"] == 45.0


async def test_out_of_order_transactions_give_the_same_statistics(
    client: httpx.AsyncClient,
) -> None:
    days = [50, 30, 30, 12, 3]
    ordered, shuffled = uuid.uuid4(), uuid.uuid4()
    in_order = [tx(ordered, 10 + d, days_ago=d) for d in days]
    reverse = [tx(shuffled, 10 + d, days_ago=d) for d in reversed(days)]
    await client.post("/v1/transactions", json={"transactions": in_order})
    for item in [reverse[2], reverse[0], reverse[4], reverse[1], reverse[3]]:
        await client.post("/v1/transactions", json=item)

    a = (await _score(client, ordered))["purchases"]
    b = (await _score(client, shuffled))["purchases"]
    for key in ("orders", "net_spend", "purchase_days", "x", "t_x_weeks", "T_weeks"):
        assert a[key] == b[key], key
    assert a["mean_repeat_spend"] == b["mean_repeat_spend"] == round((40 + 40 + 22 + 13) / 3, 6)
    assert a["x"] == 3


async def test_bad_input_is_a_problem_never_a_500(client: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    cases = [
        {"transaction_id": "x", "customer_id": "not-a-uuid", "amount": "1", "occurred_at": "x"},
        tx(customer, "-5"),
        {**tx(customer, "5"), "occurred_at": "2026-01-01T00:00:00"},
        {**tx(customer, "5"), "kind": "gift"},
        tx(customer, "5", days_ago=-3),
        {**tx(customer, "5"), "amount": "1.005"},
        {**tx(customer, "5"), "currency": "usd"},
        {**tx(customer, "5"), "transaction_id": ""},
        {"transactions": []},
        [1, 2],
    ]
    for body in cases:
        response = await client.post("/v1/transactions", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
    not_json = await client.post(
        "/v1/transactions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.headers["content-type"] == PROBLEM


async def test_more_than_the_batch_limit_is_413(client: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    items = [tx(customer, "1.00", days_ago=1) for _ in range(10_001)]
    response = await client.post("/v1/transactions", json={"transactions": items})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "too-many-transactions"
    missing = await client.get(f"/v1/customers/{customer}/score")
    assert missing.status_code == 404


async def test_a_full_batch_of_10000_is_accepted(client: httpx.AsyncClient) -> None:
    customers = [uuid.uuid4() for _ in range(500)]
    items = [tx(customers[i % 500], "2.00", days_ago=i % 300) for i in range(10_000)]
    response = await client.post("/v1/transactions", json={"transactions": items})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 10_000
    assert response.json()["customers"] == 500
    purchases = (await _score(client, customers[0]))["purchases"]
    assert purchases["orders"] == 20


async def test_unknown_customer_and_missing_model_are_404_problems(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get(f"/v1/customers/{uuid.uuid4()}/score")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    assert unknown.json()["code"] == "customer-not-scored"
    bad_id = await client.get("/v1/customers/nope/score")
    assert bad_id.status_code == 422
    model = await client.get("/v1/model")
    assert model.status_code == 404
    assert model.json()["code"] == "model-not-fitted"
    equity = await client.get("/v1/scores/equity")
    assert equity.status_code == 404
    refit = await client.post("/v1/model/refit")
    assert refit.status_code == 409
    assert refit.json()["code"] == "not-enough-data"

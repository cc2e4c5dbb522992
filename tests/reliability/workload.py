"""The mixed workload: Twilio calls, routing offers, complaints through their lifecycle, orders
and refunds.

Built once from a seed (call sids, phones, amounts, timestamps) and sent as often as needed, so
a run with faults and a run without send exactly the same requests. The client behaves as the
real ones do: Twilio retries a webhook until it is answered; the other clients retry a request
cut off by a crash, and look before filing a complaint twice. Each caller's last call is
queued in a lane and taken by the lane's agent (see `desks`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.contact import twilio_requests as tw
from tests.contact.conftest import PUBLIC_BASE
from tests.reliability.desks import DESK_USERS, Desks, RoutedCall, lane_of

STEPS = ("acknowledged", "assessed", "response_proposed", "decision_communicated")
CLOSING = {
    "decision_communicated": {"decision_channel": "phone", "decision_summary": "Refund agreed."}
}


@dataclass(frozen=True)
class Caller:
    """One customer's part of the workload."""

    n: int
    phone: str
    calls: list[list[tw.TwilioRequest]]
    routed: RoutedCall
    orders: list[dict[str, Any]]
    complaint: bool


@dataclass
class Workload:
    """Everything to send; `requests` counts what was sent (retries included)."""

    callers: list[Caller]
    requests: int = 0
    customers: dict[str, str] = field(default_factory=dict)  # phone → customer id
    complaints: dict[str, str] = field(default_factory=dict)  # complaint id → description
    desks: Desks = field(default_factory=Desks)

    def names(self) -> dict[str, str]:
        """The ids this run made up, each with the name the workload gives it."""
        named = dict(self.desks.names)
        named.update({c: f"customer {phone}" for phone, c in self.customers.items()})
        named.update({c: f"complaint: {text}" for c, text in self.complaints.items()})
        return named

    def fresh(self) -> Workload:
        """The same requests, to send to another system."""
        return Workload(self.callers)

    @staticmethod
    def build(callers: int, *, seed: int) -> Workload:
        rng = random.Random(seed)
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)
        people = []
        for n in range(callers):
            phone = f"+1415557{n:04d}"
            calls = [tw.answered_inbound_call(phone, start + dt.timedelta(seconds=n))]
            if n % 2 == 0:
                calls.append(tw.abandoned_queued_call(phone, start + dt.timedelta(minutes=5)))
            orders = [
                {
                    "transaction_id": f"order-{seed}-{n}-{k}",
                    "kind": "order",
                    "amount": f"{rng.randint(10, 300)}.00",
                    "occurred_at": (start - dt.timedelta(days=10 * (k + 1))).isoformat(),
                }
                for k in range(1 + n % 3)
            ]
            if n % 4 == 1:
                orders.append(
                    {
                        "transaction_id": f"refund-{seed}-{n}",
                        "kind": "refund",
                        "amount": "5.00",
                        "occurred_at": (start - dt.timedelta(days=5)).isoformat(),
                        "refers_to": f"order-{seed}-{n}-0",
                    }
                )
            routed = RoutedCall.make(phone, lane_of(n))
            people.append(Caller(n, phone, calls, routed, orders, complaint=n % 3 == 0))
        return Workload(people)

    async def send(self, gateway: str, api_key: str, *, concurrency: int = 10) -> None:
        """Open the lanes, then send every caller's requests, `concurrency` callers at a time,
        while the lanes' agents take their calls."""
        gate = asyncio.Semaphore(concurrency)
        headers = {"X-API-Key": api_key}
        async with httpx.AsyncClient(base_url=gateway, timeout=10, headers=headers) as client:
            await self.desks.open(client, self._retry)

            async def one(caller: Caller) -> None:
                async with gate:
                    await self._caller(client, caller)

            shifts = [
                self.desks.work(gateway, self._retry, lane, calls)
                for lane, calls in enumerate(self._lane_calls())
            ]
            await asyncio.gather(*shifts, *(one(c) for c in self.callers))

    def _lane_calls(self) -> list[int]:
        """How many calls each lane's agent takes."""
        calls = [0] * len(DESK_USERS)
        for caller in self.callers:
            calls[caller.routed.lane] += 1
        return calls

    async def _caller(self, client: httpx.AsyncClient, caller: Caller) -> None:
        for call in caller.calls:
            for request in call:
                await self._twilio(client, request)
        customer = await self._customer(client, caller.phone)
        # After the abandoned call, which thus never names an agent the customer last had (the
        # router would offer it to that agent whatever the queue's skills, or not, depending on
        # when the caller hangs up); before the complaint and the orders, so the screen pop
        # shows the customer unscored in every run (no risk or tier arrives while it waits).
        await self._routed(client, caller.routed, customer)
        # Orders after scoring counted the call, in every run: the customer's states (prospect,
        # first contact, first purchase) follow the order in which scoring learns the facts.
        await self._contact_counted(client, customer)
        body = {"transactions": [{**o, "customer_id": customer} for o in caller.orders]}
        await self._retry(client, "POST", "/v1/transactions", json=body)
        if caller.complaint:
            await self._complaint(client, caller, customer)

    async def _routed(self, client: httpx.AsyncClient, call: RoutedCall, customer: str) -> None:
        for request in call.queued(dt.datetime.now(dt.UTC)):
            await self._twilio(client, request)
        await self.desks.answered(customer)
        for request in call.answered(dt.datetime.now(dt.UTC)):
            await self._twilio(client, request)

    async def _twilio(self, client: httpx.AsyncClient, request: tw.TwilioRequest) -> None:
        signature = tw.sign(PUBLIC_BASE + request.path, request.pairs)
        await self._retry(
            client,
            "POST",
            request.path,
            content=urlencode(request.pairs),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )

    async def _customer(self, client: httpx.AsyncClient, phone: str) -> str:
        found = await self._retry(client, "GET", "/v1/customers/identify", params={"phone": phone})
        customer = str(found.json()["customer"]["customer_id"])
        self.customers[phone] = customer
        return customer

    async def _contact_counted(self, client: httpx.AsyncClient, customer: str) -> None:
        for _ in range(900):  # a lost event would keep it waiting: give up after a while
            score = await self._retry(client, "GET", f"/v1/customers/{customer}/score")
            if score.json()["contacts"]["count"] >= 1:
                return
            await asyncio.sleep(0.1)
        raise _GaveUpError(f"scoring never counted the call of {customer}")

    async def _complaint(self, client: httpx.AsyncClient, caller: Caller, customer: str) -> None:
        description = f"Complaint of caller {caller.n}: charged twice."
        complaint = await self._find_complaint(client, customer, description)
        if complaint is None:
            body = {
                "customer_id": customer,
                "channel": "phone",
                "category": "billing",
                "description": description,
            }
            try:
                created = await self._retry(client, "POST", "/v1/complaints", json=body, tries=1)
                complaint = str(created.json()["id"])
            except _GaveUpError:
                # Cut off: it may have been filed. Look first, as a careful client does.
                complaint = await self._find_complaint(client, customer, description)
                if complaint is None:
                    created = await self._retry(client, "POST", "/v1/complaints", json=body)
                    complaint = str(created.json()["id"])
        self.complaints[complaint] = description
        for step in (*STEPS, "closed_accepted"):
            body = {"to": step, **CLOSING.get(step, {})}
            url = f"/v1/complaints/{complaint}/transitions"
            response = await self._retry(client, "POST", url, json=body, accept=(409,))
            while response.json().get("code") == "concurrent-update":  # a consumer's change
                response = await self._retry(client, "POST", url, json=body, accept=(409,))
            if response.status_code == 409:
                now = await self._retry(client, "GET", f"/v1/complaints/{complaint}")
                assert now.json()["state"] == step, response.text  # the cut-off try went through

    async def _find_complaint(
        self, client: httpx.AsyncClient, customer: str, description: str
    ) -> str | None:
        listed = await self._retry(
            client, "GET", "/v1/complaints", params={"customer_id": customer}
        )
        for item in listed.json()["items"]:
            if item["description"] == description:
                return str(item["id"])
        return None

    async def _retry(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        tries: int = 600,
        accept: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """The request, sent again while the answer is a crash (no answer, 5xx, 404 on GET)."""
        for _ in range(tries):
            self.requests += 1
            try:
                response = await client.request(method, url, **kwargs)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            if response.is_success or response.status_code in accept:
                return response
            if response.status_code < 500 and not (method == "GET" and response.status_code == 404):
                raise AssertionError(f"{method} {url}: {response.status_code} {response.text}")
            await asyncio.sleep(0.1)
        raise _GaveUpError(f"{method} {url} never answered")


class _GaveUpError(Exception):
    """A request that got no answer in the tries it had."""

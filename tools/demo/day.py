"""The simulated day: callers, agents and an internal order service, at a chosen speed.

Callers arrive as a Poisson process whose rate follows a call-center day (a morning and an
afternoon peak) and wait with exponential patience; agents (the development issuer's users)
take offers, talk for an exponential handle time, sometimes file a complaint, and wrap up; an
internal service records orders, now and then a burst that lifts a customer to a higher tier.
Simulated time runs `speed` times faster than the wall clock; the services' own timers (offer
timeouts, SLA clocks) keep real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tools.demo.twilio import TwilioCall
from tools.demo.world import AGENT_USERS, World, order

MEAN_PATIENCE = 240.0  # seconds a caller waits before hanging up, on average
MEAN_HANDLE = 180.0  # seconds of talk
WRAP_UP = 45.0  # seconds of after-call work
COMPLAINT_SHARE = 0.08
ESCALATION_SHARE = 0.3
SURVEY_SHARE = 0.35
CATEGORIES = ("billing", "service", "delivery", "product_defect", "broken_promise")


@dataclass
class Figures:
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    complaints: int = 0
    escalated: int = 0
    orders: int = 0
    surveys: int = 0
    errors: int = 0

    def line(self) -> str:
        return (
            f"calls {self.calls} · answered {self.answered} · abandoned {self.abandoned} · "
            f"complaints {self.complaints} (escalated {self.escalated}) · "
            f"surveys {self.surveys} · orders {self.orders}"
            + (f" · errors {self.errors}" if self.errors else "")
        )


@dataclass
class Caller:
    call: TwilioCall
    customer_id: str
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Day:
    client: httpx.AsyncClient  # the admin key: operator and internal-service calls
    public: httpx.AsyncClient  # no key: webhooks, and agents with their own tokens
    world: World
    rng: random.Random
    twilio_token: str
    public_base: str
    speed: float
    hours: float
    calls_per_hour: float
    figures: Figures = field(default_factory=Figures)
    callers: dict[str, Caller] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        """Simulated seconds since the day began."""
        return (time.monotonic() - self.started) * self.speed

    async def sleep(self, simulated: float) -> None:
        await asyncio.sleep(max(simulated, 0.0) / self.speed)

    def rate(self, at: float) -> float:
        """Calls a simulated second at `at` seconds into the day: peaks at 2 h and 6 h."""
        hour = at / 3600
        shape = 0.6 + 0.8 * math.exp(-((hour - 2) ** 2)) + 0.6 * math.exp(-((hour - 6) ** 2))
        return self.calls_per_hour * shape / 3600

    async def run(self) -> None:
        agents = [asyncio.create_task(self.agent(u)) for u in list(AGENT_USERS)[1:]]
        service = asyncio.create_task(self.internal_service())
        calls: set[asyncio.Task[None]] = set()
        try:
            while self.elapsed() < self.hours * 3600:
                await self.sleep(self.rng.expovariate(self.rate(self.elapsed()) or 1e-9))
                task = asyncio.create_task(self.caller())
                calls.add(task)
                task.add_done_callback(calls.discard)
            if calls:
                await asyncio.wait(calls, timeout=60)
        finally:
            for task in [*agents, service, *calls]:
                task.cancel()
            await asyncio.gather(*agents, service, *calls, return_exceptions=True)

    async def caller(self) -> None:
        phone = self.rng.choice([p for p in self.world.customers if p not in self.callers])
        call = TwilioCall(self.public, self.twilio_token, self.public_base, phone)
        caller = self.callers[phone] = Caller(call, self.world.customers[phone])
        self.figures.calls += 1
        arrived = self.elapsed()
        try:
            await call.arrive()
            patience = self.rng.expovariate(1 / MEAN_PATIENCE)
            try:
                await asyncio.wait_for(caller.accepted.wait(), timeout=patience / self.speed)
            except TimeoutError:
                self.figures.abandoned += 1
                await call.leave("hangup", int(self.elapsed() - arrived), 0)
                return
            waited = int(self.elapsed() - arrived)
            talk = self.rng.expovariate(1 / MEAN_HANDLE)
            await self.sleep(talk)
            await call.leave("bridged", waited, int(talk))
            self.figures.answered += 1
            if self.rng.random() < SURVEY_SHARE:
                await self._survey(call.sid, waited)
        except httpx.HTTPError:
            self.figures.errors += 1
        finally:
            caller.done.set()
            self.callers.pop(phone, None)

    async def agent(self, username: str) -> None:
        token = await self._token(username)
        me = {"Authorization": f"Bearer {token}"}
        agent_id = self.world.agents[AGENT_USERS[username]]
        await self.public.put(
            f"/v1/agents/{agent_id}/presence", json={"state": "available"}, headers=me
        )
        while True:
            offers = await self.public.get(f"/v1/agents/{agent_id}/offers", headers=me)
            for offer in offers.json() if offers.is_success else []:
                await self._take(offer, agent_id, me)
            await asyncio.sleep(0.25)

    async def _take(self, offer: dict[str, Any], agent_id: str, me: dict[str, str]) -> None:
        verb = "reject" if self.rng.random() < 0.05 else "accept"
        answer = await self.public.post(f"/v1/offers/{offer['id']}/{verb}", headers=me)
        caller = self.callers.get(offer["screen_pop"].get("from_number") or "")
        if verb == "reject" or not answer.is_success or caller is None:
            return
        caller.accepted.set()
        await caller.done.wait()
        if self.rng.random() < COMPLAINT_SHARE:
            await self._complaint(caller, me)
        await self.sleep(WRAP_UP)
        await self.public.put(
            f"/v1/agents/{agent_id}/presence", json={"state": "available"}, headers=me
        )

    async def _complaint(self, caller: Caller, me: dict[str, str]) -> None:
        body = {
            "customer_id": caller.customer_id,
            "channel": "phone",
            "category": self.rng.choice(CATEGORIES),
            "severity": self.rng.choice(("low", "medium", "medium", "high")),
            "description": "Raised on the phone during the demo day.",
            "source_contacts": [f"twilio:{caller.call.sid}"],
        }
        filed = await self.public.post("/v1/complaints", json=body, headers=me)
        if not filed.is_success:
            self.figures.errors += 1
            return
        self.figures.complaints += 1
        if self.rng.random() < ESCALATION_SHARE:
            path = f"/v1/complaints/{filed.json()['id']}/escalations"
            escalated = await self.client.post(path, json={"reason": "The customer asked."})
            self.figures.escalated += escalated.is_success

    async def _survey(self, call_sid: str, waited: int) -> None:
        """The IVR asks CSAT and NPS after the call; long waits make unhappy answers."""
        calls = (await self.client.get("/v1/calls", params={"limit": 50})).json()["items"]
        call_id = next((c["call_id"] for c in calls if c["provider_call_id"] == call_sid), None)
        if call_id is None:
            return
        sent = await self.client.post(
            "/v1/surveys", json={"call_id": call_id, "questions": ["csat", "nps"], "via": "ivr"}
        )
        if not sent.is_success:
            self.figures.errors += 1
            return
        mood = max(0.0, 1.0 - waited / 300) * 0.6 + self.rng.random() * 0.4
        answer = {"csat": 1 + round(mood * 4), "nps": round(mood * 10)}
        answered = await self.client.post(f"/v1/surveys/{sent.json()['id']}/answer", json=answer)
        self.figures.surveys += answered.is_success

    async def internal_service(self) -> None:
        """Orders arrive all day; one in twenty is a burst that lifts a customer's tier."""
        customers = list(self.world.customers.values())
        while True:
            await self.sleep(300)
            batch = []
            for customer in self.rng.sample(customers, k=min(3, len(customers))):
                burst = 5 if self.rng.random() < 0.05 else 1
                amount = self.rng.lognormvariate(4.5 if burst > 1 else 3.5, 0.5)
                now = dt.datetime.now(dt.UTC)
                batch += [order(customer, amount, now) for _ in range(burst)]
            answer = await self.client.post("/v1/transactions", json={"transactions": batch})
            if answer.is_success:
                self.figures.orders += len(batch)
            else:
                self.figures.errors += 1

    async def _token(self, username: str) -> str:
        answer = await self.public.post("/dev-issuer/token", json={"username": username})
        answer.raise_for_status()
        return str(answer.json()["access_token"])


async def progress_of(day: Day, show: Any) -> None:
    """Call `show(simulated_seconds, figures_line)` twice a second until cancelled."""
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            show(min(day.elapsed(), day.hours * 3600), day.figures.line())
            await asyncio.sleep(0.5)

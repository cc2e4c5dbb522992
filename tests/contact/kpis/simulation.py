"""A simulated day driven through the contact service on a fake clock, and its own record.

Calls arrive as generic PBX webhooks (queued, agent leg connected, a second agent leg for a
transfer, hang-up with a wrap-up code, or an abandon); chats through `POST /v1/work-items`.
Agents sign in, take breaks and sign out through the presence API, accept their offers and
finish chats through the routing API. Routing passes run at each simulated instant (the
router's timer is the fake clock). The record keeps only what the test sent and observed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from services.contact.routing.offers import routing_pass
from tests.contact.conftest import WEBHOOK_SECRET
from tests.contact.routing.conftest import as_agent

WRAP_UP = 30.0
BREAK = dt.timedelta(minutes=10)


class Clock:
    """The fake clock every `utcnow()` of the routes reads."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Contact:
    """One contact as the test planned, sent and saw it."""

    channel: str
    queue: str
    customer: str
    tier: str
    reason: str
    entered: dt.datetime
    handle: float
    patience: float | None = None
    transfer: bool = False
    phone: str | None = None
    ref: str = field(default_factory=lambda: uuid.uuid4().hex)
    answered: dt.datetime | None = None
    agent: str | None = None
    ended: dt.datetime | None = None
    abandoned: bool = False


@dataclass
class Agent:
    """An agent and every presence change the test caused or saw."""

    login: str
    id: str
    marks: list[tuple[str, dt.datetime]] = field(default_factory=list)
    contact: Contact | None = None
    wrap_until: dt.datetime | None = None
    # Each after-call work: (contact it follows, start, end).
    wraps: list[tuple[Contact, dt.datetime, dt.datetime]] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.marks[-1][0] if self.marks else "offline"

    def mark(self, state: str, at: dt.datetime) -> None:
        self.marks.append((state, at))


class Day:
    """Runs the planned events in time order against the service."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI, clock: Clock) -> None:
        self.client, self.app, self.clock = client, app, clock
        self.contacts: list[Contact] = []
        self.agents: dict[str, Agent] = {}
        self._events: list[tuple[dt.datetime, int, str, Any]] = []
        self._order = itertools.count()
        self._by_call: dict[str, Contact] = {}
        self._by_item: dict[str, Contact] = {}
        self.on_step: Callable[[dt.datetime], Any] | None = None
        # A routing pass changes nothing unless a contact arrived for a free agent or an agent
        # became free (signed in, back from a break, wrap-up over): only then is one run.
        self._route_due = False

    def at(self, when: dt.datetime, kind: str, subject: Any) -> None:
        heapq.heappush(self._events, (when, next(self._order), kind, subject))

    def plan(self, contact: Contact) -> None:
        self.contacts.append(contact)
        self.at(contact.entered, "arrive", contact)

    async def run(self) -> None:
        while self._events:
            now = self._events[0][0]
            self.clock.now = now
            while self._events and self._events[0][0] == now:
                _, _, kind, subject = heapq.heappop(self._events)
                await getattr(self, f"_{kind}")(subject, now)
            if self._route_due:
                await self._route(now)
            self._route_due = False
            if self.on_step is not None:
                await self.on_step(now)

    async def _generic(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body)
        msg_id = "msg_" + uuid.uuid4().hex
        sent = dt.datetime.now(dt.UTC)  # the signature's own time is real, not simulated
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent.timestamp())),
            "webhook-signature": Webhook(WEBHOOK_SECRET).sign(msg_id, sent, raw),
            "content-type": "application/json",
        }
        answer = await self.client.post("/v1/webhooks/generic", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def _call_event(
        self, c: Contact, step: str, at: dt.datetime, **facts: Any
    ) -> dict[str, Any]:
        leg = facts.pop("leg", c.ref)
        return await self._generic(
            {
                "provider": "pbx",
                "call_id": c.ref,
                "leg_id": leg,
                "event_id": f"{c.ref}:{step}",
                "event": step,
                "occurred_at": at.isoformat(),
                **facts,
            }
        )

    async def _arrive(self, c: Contact, now: dt.datetime) -> None:
        self._route_due = self._route_due or any(
            a.state == "available" and a.contact is None and a.login[0] == c.channel[0]
            for a in self.agents.values()
        )
        if c.channel == "voice":
            answer = await self._call_event(
                c,
                "QueueCallerJoin",
                now,
                state="queued",
                direction="inbound",
                to="+14155550199",
                queue=c.queue,
                **{"from": c.phone},
            )
            self._by_call[answer["call_id"]] = c
            assert c.patience is not None
            self.at(now + dt.timedelta(seconds=c.patience), "abandon", c)
            return
        body = {"queue": c.queue, "channel": "chat", "customer_id": c.customer, "subject": c.reason}
        created = await self.client.post("/v1/work-items", json=body)
        assert created.status_code == 201, created.text
        self._by_item[created.json()["id"]] = c

    async def _abandon(self, c: Contact, now: dt.datetime) -> None:
        if c.answered is not None:
            return
        await self._call_event(c, "QueueCallerAbandon", now, state="ended", abandoned=True)
        c.ended, c.abandoned = now, True

    async def _transfer(self, c: Contact, now: dt.datetime) -> None:
        await self._call_event(
            c, "Transfer", now, leg=f"{c.ref}-2", child_leg=True, state="connected", agent="6001"
        )

    async def _end(self, c: Contact, now: dt.datetime) -> None:
        assert c.agent is not None
        agent = self.agents[c.agent]
        if c.channel == "voice":
            await self._call_event(c, "Hangup", now, state="ended", wrap_up_code=c.reason)
        else:
            item = next(i for i, x in self._by_item.items() if x is c)
            answer = await self.client.post(
                f"/v1/work-items/{item}/complete", headers=as_agent(agent.login)
            )
            assert answer.status_code == 200, answer.text
        c.ended, agent.contact = now, None
        agent.mark("after_call_work", now)
        agent.wrap_until = now + dt.timedelta(seconds=WRAP_UP)
        agent.wraps.append((c, now, agent.wrap_until))
        self.at(agent.wrap_until, "tick", None)

    async def _tick(self, _: None, now: dt.datetime) -> None:
        """Nothing to send: the routing pass at this instant ends the wrap-up."""
        self._route_due = True

    async def _presence(self, agent: Agent, state: str, now: dt.datetime) -> None:
        body = {"state": state, **({"reason": "break"} if state == "paused" else {})}
        answer = await self.client.put(
            f"/v1/agents/{agent.id}/presence", json=body, headers=as_agent(agent.login)
        )
        assert answer.status_code == 200, answer.text
        agent.mark(state, now)
        self._route_due = self._route_due or state == "available"

    async def _sign_in(self, agent: Agent, now: dt.datetime) -> None:
        await self._presence(agent, "available", now)

    async def _pause(self, agent: Agent, now: dt.datetime) -> None:
        if agent.state == "available" and agent.contact is None:
            await self._presence(agent, "paused", now)
            self.at(now + BREAK, "sign_in", agent)

    async def _sign_out(self, agent: Agent, now: dt.datetime) -> None:
        if agent.contact is not None or agent.state == "after_call_work":
            self.at(now + dt.timedelta(minutes=1), "sign_out", agent)
            return
        await self._presence(agent, "offline", now)

    async def _route(self, now: dt.datetime) -> None:
        for agent in self.agents.values():
            if agent.state == "after_call_work" and agent.wrap_until and agent.wrap_until <= now:
                agent.mark("available", now)
        async with self.app.state.db.sessionmaker() as session:
            made = await routing_pass(session, self.app.state.settings, now)
            await session.commit()
        if not made:
            return
        found = 0
        for agent in self.agents.values():
            if found == made:
                break
            if agent.state != "available" or agent.contact is not None:
                continue
            answer = await self.client.get(
                f"/v1/agents/{agent.id}/offers", headers=as_agent(agent.login)
            )
            for offer in answer.json():
                found += 1
                await self._accept(agent, offer, now)
        assert found == made, "an offer went to an agent the test thought was busy"

    async def _accept(self, agent: Agent, offer: dict[str, Any], now: dt.datetime) -> None:
        answer = await self.client.post(
            f"/v1/offers/{offer['id']}/accept", headers=as_agent(agent.login)
        )
        assert answer.status_code == 200, answer.text
        item = offer["work_item_id"]
        c = self._by_item.get(item)
        if c is None:
            call_id = (await self.client.get(f"/v1/work-items/{item}")).json()["call_id"]
            c = self._by_call[call_id]
        c.answered, c.agent, agent.contact = now, agent.login, c
        agent.mark("on_contact", now)
        if c.channel == "voice":
            await self._call_event(
                c,
                "AgentConnect",
                now,
                leg=f"{c.ref}-1",
                child_leg=True,
                state="connected",
                agent=agent.login,
            )
            if c.transfer:
                self.at(now + dt.timedelta(seconds=c.handle / 2), "transfer", c)
        self.at(now + dt.timedelta(seconds=c.handle), "end", c)

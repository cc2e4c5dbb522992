"""The routing part of the workload: lanes of one agent each, their desktops, the routed calls.

A lane is a queue that needs a skill of its own and one agent who has it (the development
issuer's built-in agents, signed in through the gateway as their desktops sign in), so which
agent takes which call never depends on timing. A lane's number enqueues its callers in the
lane's queue (Twilio asks our waitUrl); the router offers each call to the lane's agent, whose
desktop polls its offers and accepts; Twilio then takes the call out of the queue and dials the
agent, the talk ends, and the agent's wrap-up ends by itself. No Twilio REST connector is set
up, so the connect instruction is dropped with a warning and the workload plays Twilio's part
once the agent accepted. The `support` queue, where the abandoned callers wait, needs a skill
nobody has: no offer is made there whose fate would depend on when the caller hangs up.

A desktop cut off by a crash asks again, as a real one does: an accept that went through
before the cut is answered 409 `offer-not-pending`, and the desktop reads the contact to see
that it is in its hands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from tests.contact import twilio_requests as tw

# The development issuer's agents; each signs in as `agent-<lane + 1>`.
DESK_USERS = ("agent", "agent2", "agent3", "agent4")
UNSTAFFED = {"name": "support", "required_skills": {"support": 1}}
ACCEPT_WAIT_SECONDS = 300.0  # a lost offer would keep its caller waiting: give up after this


class Retry(Protocol):
    """How the workload sends a request: again while the answer is a crash."""

    async def __call__(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        tries: int = ...,
        accept: tuple[int, ...] = ...,
        **kwargs: Any,
    ) -> httpx.Response: ...


def lane_of(n: int) -> int:
    """The lane of caller `n`."""
    return n % len(DESK_USERS)


def lane_queue(lane: int) -> str:
    return f"lane-{lane + 1}"


def lane_agent(lane: int) -> str:
    return f"agent-{lane + 1}"


@dataclass(frozen=True)
class RoutedCall:
    """A call queued in a lane and taken by its agent; Twilio's requests, dated when sent."""

    phone: str
    lane: int
    parent: str
    queue_sid: str
    child: str

    @staticmethod
    def make(phone: str, lane: int) -> RoutedCall:
        return RoutedCall(phone, lane, tw.sid(), tw.sid("QU"), tw.sid())

    def queued(self, at: dt.datetime) -> list[tw.TwilioRequest]:
        """The call rings and joins the lane's queue."""
        return [
            tw.status(self.parent, self.phone, "ringing", 0, at),
            tw.queue_wait(self.parent, self.phone, self.queue_sid, 0, queue=lane_queue(self.lane)),
        ]

    def answered(self, at: dt.datetime) -> list[tw.TwilioRequest]:
        """Redirected out of the queue to a <Dial> of the agent, talked, hung up."""
        agent = f"client:{lane_agent(self.lane)}"

        def leg(status: str, sequence: int, duration: int | None = None) -> tw.TwilioRequest:
            return tw.status(
                self.child,
                self.phone,
                status,
                sequence,
                at,
                parent=self.parent,
                to=agent,
                direction="outbound-dial",
                duration=duration,
            )

        left = tw.queue_left(
            self.parent,
            self.phone,
            "redirected",
            queue_sid=self.queue_sid,
            waited="4",
            queue=lane_queue(self.lane),
        )
        ringing = tw.voice(self.parent, self.phone).pairs  # the standard parameters
        dial = [
            *((k, "in-progress" if k == "CallStatus" else v) for k, v in ringing),
            ("DialCallSid", self.child),
            ("DialCallStatus", "completed"),
            ("DialCallDuration", "29"),
            ("DialBridged", "true"),
        ]
        return [
            left,
            leg("initiated", 0),
            leg("ringing", 1),
            leg("in-progress", 2),
            leg("completed", 3, duration=29),
            tw.TwilioRequest("/v1/webhooks/twilio/dial", dial),
            tw.status(self.parent, self.phone, "completed", 1, at, duration=35),
        ]


@dataclass
class Desks:
    """The lanes' agents at their desktops, and the names of what the setup made."""

    names: dict[str, str] = field(default_factory=dict)  # agent and queue ids → names
    accepted: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )  # customer id → set once the lane's agent accepted their call

    async def open(self, client: httpx.AsyncClient, retry: Retry) -> None:
        """As an admin: the unstaffed queue, a queue and an agent per lane; learn their ids."""
        await retry(client, "POST", "/v1/queues", json=UNSTAFFED, accept=(409,))
        for lane in range(len(DESK_USERS)):
            skill = {lane_queue(lane): 1}
            queue = {"name": lane_queue(lane), "required_skills": skill}
            await retry(client, "POST", "/v1/queues", json=queue, accept=(409,))
            agent = {
                "login": lane_agent(lane),
                "name": f"Agent of {lane_queue(lane)}",
                "skills": skill,
                "capacity": {"voice": 1},
                "address": f"client:{lane_agent(lane)}",
            }
            # 409: the try a crash cut off went through (the login is taken by it).
            await retry(client, "POST", "/v1/agents", json=agent, accept=(409,))
        for queue in (await retry(client, "GET", "/v1/queues")).json():
            self.names[str(queue["id"])] = f"queue {queue['name']}"
        for agent in (await retry(client, "GET", "/v1/agents")).json():
            self.names[str(agent["id"])] = f"agent {agent['login']}"

    async def answered(self, customer: str) -> None:
        """Wait until the lane's agent accepted the customer's call."""
        try:
            await asyncio.wait_for(self.accepted[customer].wait(), ACCEPT_WAIT_SECONDS)
        except TimeoutError:
            raise AssertionError(f"no agent accepted the call of {customer}") from None

    async def work(self, gateway: str, retry: Retry, lane: int, calls: int) -> None:
        """One agent's shift: sign in, go available, accept the lane's `calls` offers."""
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
            signed = await retry(
                client, "POST", "/dev-issuer/token", json={"username": DESK_USERS[lane]}
            )
            client.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"
            me = str((await retry(client, "GET", "/v1/agents")).json()[0]["id"])
            presence = {"state": "available"}
            await retry(client, "PUT", f"/v1/agents/{me}/presence", json=presence)
            taken = 0
            while taken < calls:
                offers = (await retry(client, "GET", f"/v1/agents/{me}/offers")).json()
                for offer in offers:
                    await self._accept(client, retry, offer, me)
                    self.accepted[str(offer["screen_pop"]["customer_id"])].set()
                    taken += 1
                if not offers:
                    await asyncio.sleep(0.2)

    @staticmethod
    async def _accept(
        client: httpx.AsyncClient, retry: Retry, offer: dict[str, Any], me: str
    ) -> None:
        answer = await retry(client, "POST", f"/v1/offers/{offer['id']}/accept", accept=(409,))
        if answer.status_code == 409:
            assert answer.json()["code"] == "offer-not-pending", answer.text
            item = await retry(client, "GET", f"/v1/work-items/{offer['work_item_id']}")
            # The cut-off try went through: the contact is in this agent's hands.
            assert (item.json()["state"], item.json()["agent_id"]) == ("assigned", me), item.text

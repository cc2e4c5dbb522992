"""Who sees whose work: agents themselves, supervisors their teams, admins and systems all."""

from __future__ import annotations

import httpx

from services.contact.agents.oversight import oversight
from services.gateway.identity.roles import permissions_of
from shared.identity import Identity
from tests.contact.routing.conftest import as_agent, make_agent, make_queue, wait_for_offer


def _person(role: str, agent_id: str | None = "sam") -> Identity:
    return Identity(
        subject=agent_id or "x",
        kind="user",
        roles=[role],
        permissions=permissions_of([role]),
        agent_id=agent_id,
    )


def test_each_role_oversees_what_its_rule_says() -> None:
    agent = oversight(_person("agent", "ada"), None)
    team_lead = oversight(_person("supervisor"), ["blue"])
    no_team = oversight(_person("supervisor"), [])
    admin = oversight(_person("admin"), None)
    system = oversight(
        Identity(subject="key:1", kind="api-key", permissions=permissions_of(["service"])), None
    )

    assert agent.covers("ada", ["blue"]) and not agent.covers("ben", ["blue"])
    assert team_lead.covers("ada", ["red", "blue"]) and not team_lead.covers("ben", ["red"])
    assert team_lead.covers("sam", [])  # themself
    assert no_team.covers("ben", ["red"])  # a centre without teams
    assert admin.covers("ben", ["red"]) and system.covers("ben", [])


async def test_agents_and_supervisors_see_only_their_own_and_their_teams_work(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada", teams=["blue"])
    ben = await make_agent(contact, "ben", available=False, teams=["red"])
    await make_agent(contact, "sam", available=False, teams=["blue"])
    item = (
        await contact.post("/v1/work-items", json={"queue": "support", "channel": "chat"})
    ).json()
    offer = await wait_for_offer(contact, ada)
    sam = as_agent("sam", role="supervisor")

    ben_lists = await contact.get("/v1/agents", headers=as_agent("ben"))
    ben_reads_ada = await contact.get(f"/v1/agents/{ada['id']}", headers=as_agent("ben"))
    ben_reads_item = await contact.get(f"/v1/work-items/{item['id']}", headers=as_agent("ben"))
    ada_reads_item = await contact.get(f"/v1/work-items/{item['id']}", headers=as_agent("ada"))
    sam_lists = await contact.get("/v1/agents", headers=sam)
    sam_ada_offers = await contact.get(f"/v1/agents/{ada['id']}/offers", headers=sam)
    sam_ben_offers = await contact.get(f"/v1/agents/{ben['id']}/offers", headers=sam)
    sam_pauses_ben = await contact.put(
        f"/v1/agents/{ben['id']}/presence", json={"state": "offline"}, headers=sam
    )
    everyone = await contact.get("/v1/agents")  # a system

    assert [a["login"] for a in ben_lists.json()] == ["ben"]
    assert ben_reads_ada.status_code == 403
    assert ben_reads_item.status_code == 403
    assert ben_reads_item.json()["code"] == "not-your-contact"
    assert ada_reads_item.status_code == 200  # offered to her
    assert sorted(a["login"] for a in sam_lists.json()) == ["ada", "sam"]
    assert [o["id"] for o in sam_ada_offers.json()] == [offer["id"]]
    assert sam_ben_offers.status_code == 403
    assert sam_pauses_ben.status_code == 403
    assert sorted(a["login"] for a in everyone.json()) == ["ada", "ben", "sam"]

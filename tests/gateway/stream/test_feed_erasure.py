"""The live stream's replay window forgets what named an erased customer."""

from __future__ import annotations

import json
from typing import Any

from services.gateway.stream.feed import Feed

ERASED, OTHER = "c-erased", "c-other"


def _record(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "id": kind, "data": data}).encode()


def _offer(customer: str, name: str) -> bytes:
    pop = {"customer_id": customer, "name": name, "from_number": "+16175550143", "tier": "gold"}
    return _record(
        "contact.contact_offered",
        {
            "customer_id": customer,
            "agent_login": "ada",
            "offer_id": f"o-{customer}",
            "screen_pop": pop,
        },
    )


def test_an_erasure_blanks_the_window_and_what_comes_after() -> None:
    feed = Feed("unused:9092", [], window=10)
    feed._take("contact.routing", 0, 1, _offer(ERASED, "Zeb Quaxworth"))
    feed._take("contact.routing", 0, 2, _offer(OTHER, "Ann Lee"))
    feed._take(
        "contact.routing",
        0,
        3,
        _record("contact.offer_accepted", {"customer_id": ERASED, "offer_id": f"o-{ERASED}"}),
    )
    assert feed.handled == {"ada": {ERASED}}

    feed._take(
        "contact.customers", 0, 7, _record("contact.customer_deleted", {"customer_id": ERASED})
    )
    late = {"customer_id": ERASED, "level": 2, "reason": "Zeb Quaxworth is furious"}
    feed._take("complaints.complaints", 0, 4, _record("complaints.complaint_escalated", late))

    pops = [i.envelope["data"].get("screen_pop") for i in feed.window]
    assert pops[0] == {
        "customer_id": ERASED,
        "name": "[erased]",
        "from_number": "[erased]",
        "tier": "gold",
    }
    assert pops[1] is not None and pops[1]["name"] == "Ann Lee"
    assert feed.window[-1].envelope["data"]["reason"] == "[erased]"
    assert "Quaxworth" not in json.dumps([i.envelope for i in feed.window])
    assert feed.handled == {"ada": set()}
    # The deletion itself is not streamed; positions and order are kept.
    assert [(i.where, i.offset) for i in feed.window] == [
        ("contact.routing:0", 1),
        ("contact.routing:0", 2),
        ("contact.routing:0", 3),
        ("complaints.complaints:0", 4),
    ]

"""The fields every routing event about an offer carries, built in one place."""

from __future__ import annotations

from typing import Any

from services.contact.models import Agent, Offer, WorkItem


def offer_facts(offer: Offer, item: WorkItem, agent: Agent, queue: str) -> dict[str, Any]:
    """Which offer of which contact to which agent, in which queue and channel."""
    return {
        "offer_id": offer.id,
        "work_item_id": item.id,
        "agent_id": agent.id,
        "agent_login": agent.login,
        "customer_id": item.customer_id,
        "queue": queue,
        "channel": item.channel,
    }


def offer_key(item: WorkItem) -> str:
    """The partition key of a contact's routing events: its customer, else the contact."""
    return str(item.customer_id or item.id)

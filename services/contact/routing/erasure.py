"""What routing keeps about an erased customer: the subjects of their lines, their screen pops."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.routing import repository

# Screen-pop fields that describe the person; ids, tier and the contact history's times stay.
PERSONAL_POP_FIELDS = ("name", "from_number")


async def erase_personal_data(
    session: AsyncSession, customer_id: uuid.UUID, erased: frozenset[str]
) -> None:
    """Blank the subjects of the customer's work items and the person in their offers' pops.

    The items and offers stay (service levels, occupancy and handling times count them).
    """
    items = await repository.work_items_of_customer(session, customer_id)
    for item in items:
        item.subject = None
    for offer in await repository.offers_of_items(session, [i.id for i in items]):
        pop = dict(offer.screen_pop or {})
        pop.update(dict.fromkeys(PERSONAL_POP_FIELDS))
        offer.screen_pop = pop

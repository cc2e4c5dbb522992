"""Topic names (`<producer>.<aggregate>`); keys are customer ids."""

CONTACT_CALLS = "contact.calls"
CONTACT_CUSTOMERS = "contact.customers"
CONTACT_ROUTING = "contact.routing"
CONTACT_SURVEYS = "contact.surveys"
COMPLAINTS_COMPLAINTS = "complaints.complaints"
SCORING_SCORES = "scoring.scores"
SCORING_PROGRAMMES = "scoring.programmes"
COMMERCE_TRANSACTIONS = "commerce.transactions"

ALL_TOPICS = (
    CONTACT_CALLS,
    CONTACT_CUSTOMERS,
    CONTACT_ROUTING,
    CONTACT_SURVEYS,
    COMPLAINTS_COMPLAINTS,
    SCORING_SCORES,
    SCORING_PROGRAMMES,
    COMMERCE_TRANSACTIONS,
)


def dead_letter_topic(group_id: str) -> str:
    """The dead-letter topic of consumer group `group_id`."""
    return f"{group_id}.dlq"

"""Scoring service errors."""

from shared.errors import NotFoundError


class CustomerNotScoredError(NotFoundError):
    code = "customer-not-scored"

    def __init__(self, customer_id: object) -> None:
        super().__init__(f"No events have been seen for customer {customer_id}.")

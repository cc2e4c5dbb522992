"""Scoring service errors."""

from shared.errors import (
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableError,
)


class CustomerNotScoredError(NotFoundError):
    code = "customer-not-scored"

    def __init__(self, customer_id: object) -> None:
        super().__init__(f"No events have been seen for customer {customer_id}.")


class ModelNotFittedError(NotFoundError):
    code = "model-not-fitted"

    def __init__(self) -> None:
        super().__init__("No model has been fitted yet; POST /v1/model/refit.")


class NotEnoughDataError(ConflictError):
    code = "not-enough-data"


class TooManyTransactionsError(PayloadTooLargeError):
    code = "too-many-transactions"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} transactions in one request; at most {limit} are accepted.")


class TransactionConflictError(ConflictError):
    code = "transaction-conflict"

    def __init__(self) -> None:
        super().__init__("A transaction in the request was recorded concurrently; retry it.")


class ProgrammeNotFoundError(NotFoundError):
    code = "programme-not-found"

    def __init__(self, programme_id: object) -> None:
        super().__init__(f"No programme {programme_id}.")


class ProgrammeLaunchedError(ConflictError):
    code = "programme-already-launched"

    def __init__(self, programme_id: object) -> None:
        super().__init__(f"Programme {programme_id} has been launched already.")


class ProgrammeNotLaunchedError(ConflictError):
    code = "programme-not-launched"

    def __init__(self, programme_id: object) -> None:
        super().__init__(f"Programme {programme_id} has not been launched yet.")


class TargetTooSmallError(ConflictError):
    code = "target-too-small"

    def __init__(self, matched: int) -> None:
        super().__init__(
            f"The target matches {matched} customers: too few for a treated and a control group."
        )


class RoundNotDueError(ConflictError):
    code = "round-not-due"

    def __init__(self, due_at: object) -> None:
        super().__init__(f"The next round of contact is due at {due_at}.")


class RoundsCompleteError(ConflictError):
    code = "rounds-complete"

    def __init__(self, rounds: int) -> None:
        super().__init__(f"All {rounds} rounds of contact have been sent.")


class UnknownOrderError(UnprocessableError):
    code = "unknown-order"

    def __init__(self, order_ids: list[str]) -> None:
        shown = ", ".join(order_ids[:10])
        super().__init__(
            f"A refund refers to an order that was never recorded: {shown}.",
            extra={"unknown_orders": order_ids[:100]},
        )

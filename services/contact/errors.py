"""Contact service errors."""

from typing import Any

from shared.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessableError,
)


class InvalidPhoneNumberError(UnprocessableError):
    code = "invalid-phone-number"

    def __init__(self, field: str, value: str) -> None:
        super().__init__(
            f"`{field}` is not a phone number that can be dialled.",
            extra={"field": field},
        )


class InvalidEmailError(UnprocessableError):
    code = "invalid-email"

    def __init__(self, field: str) -> None:
        super().__init__(f"`{field}` is not an e-mail address.", extra={"field": field})


class CallEventNotFoundError(NotFoundError):
    code = "call-event-not-found"

    def __init__(self, call_event_id: object) -> None:
        super().__init__(f"Call event {call_event_id} does not exist.")


class CallNotFoundError(NotFoundError):
    code = "call-not-found"

    def __init__(self, call_id: object) -> None:
        super().__init__(f"Call {call_id} does not exist.")


class CustomerNotFoundError(NotFoundError):
    code = "customer-not-found"

    def __init__(self, customer_id: object) -> None:
        super().__init__(f"Customer {customer_id} does not exist.")


class CustomerMergedError(ConflictError):
    code = "customer-merged"

    def __init__(self, customer_id: object, into: object) -> None:
        super().__init__(
            f"Customer {customer_id} was merged into {into}.", extra={"merged_into": str(into)}
        )


class IdentityTakenError(ConflictError):
    code = "identity-taken"

    def __init__(self, kind: str) -> None:
        super().__init__(f"This customer already has that {kind} identity.")


class SelfMergeError(UnprocessableError):
    code = "self-merge"

    def __init__(self) -> None:
        super().__init__("A customer cannot be merged into itself.")


class SignatureError(ForbiddenError):
    """A webhook whose signature, key or timestamp does not check out; nothing is stored."""

    code = "invalid-signature"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, extra=extra)


class InvalidWebhookError(UnprocessableError):
    code = "invalid-webhook"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class ContactWithoutCustomerError(UnprocessableError):
    code = "contact-without-customer"

    def __init__(self) -> None:
        super().__init__("A contact needs `customer_id`, `email` or `phone`.")


class CallAlreadyIdentifiedError(ConflictError):
    code = "call-already-identified"

    def __init__(self, call_id: object, customer_id: object) -> None:
        super().__init__(
            f"Call {call_id} already belongs to customer {customer_id}; merge the two customers "
            "if they are the same person.",
            extra={"customer_id": str(customer_id)},
        )


class AmbiguousCustomerError(ConflictError):
    code = "ambiguous-customer"

    def __init__(self, kind: str, candidates: list[object]) -> None:
        super().__init__(
            f"Several customers share that {kind}; say which one with `customer_id`.",
            extra={"candidates": [str(c) for c in candidates]},
        )


class IdentityNotFoundError(NotFoundError):
    code = "identity-not-found"

    def __init__(self, identity_id: object) -> None:
        super().__init__(f"The customer has no identity {identity_id}.")


class AgentNotFoundError(NotFoundError):
    code = "agent-not-found"

    def __init__(self, agent_id: object) -> None:
        super().__init__(f"No agent {agent_id}.")


class AgentExistsError(ConflictError):
    code = "agent-exists"

    def __init__(self, login: str) -> None:
        super().__init__(f"An agent already signs in as {login!r}.")


class AgentBusyError(ConflictError):
    code = "agent-busy"

    def __init__(self, agent_id: object, in_hand: int) -> None:
        super().__init__(
            f"Agent {agent_id} has {in_hand} contact(s) in hand; finish them first.",
            extra={"contacts_in_hand": in_hand},
        )


class NotYourAgentError(ForbiddenError):
    code = "not-your-agent"

    def __init__(self, agent_id: object) -> None:
        super().__init__(f"You may act only for yourself, not for agent {agent_id}.")


class OfferNotFoundError(NotFoundError):
    code = "offer-not-found"

    def __init__(self, offer_id: object) -> None:
        super().__init__(f"No offer {offer_id}.")


class OfferNotPendingError(ConflictError):
    code = "offer-not-pending"

    def __init__(self, offer_id: object, state: str) -> None:
        super().__init__(f"Offer {offer_id} is {state}: it can no longer be answered.")


class QueueExistsError(ConflictError):
    code = "queue-exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"A queue called {name!r} exists already.")


class QueueNotFoundError(NotFoundError):
    code = "queue-not-found"

    def __init__(self, queue: object) -> None:
        super().__init__(f"No queue {queue}.")


class WorkItemNotFoundError(NotFoundError):
    code = "work-item-not-found"

    def __init__(self, item_id: object) -> None:
        super().__init__(f"No work item {item_id}.")


class WorkItemNotYoursError(ForbiddenError):
    code = "not-your-contact"

    def __init__(self, item_id: object) -> None:
        super().__init__(f"Work item {item_id} is not in your hands, nor your team's.")


class WorkItemNotAssignedError(ConflictError):
    code = "work-item-not-assigned"

    def __init__(self, item_id: object, state: str) -> None:
        super().__init__(f"Work item {item_id} is {state}, not in an agent's hands.")


class ContactNotFoundError(NotFoundError):
    code = "contact-not-found"

    def __init__(self, contact_id: object) -> None:
        super().__init__(f"No contact {contact_id}.")


class SurveyNotFoundError(NotFoundError):
    code = "survey-not-found"

    def __init__(self, survey_id: object) -> None:
        super().__init__(f"No survey {survey_id}.")


class SurveyExistsError(ConflictError):
    code = "survey-exists"

    def __init__(self, survey_id: object) -> None:
        super().__init__(
            f"That contact has been surveyed already (survey {survey_id}).",
            extra={"survey_id": str(survey_id)},
        )


class SurveyWithoutCustomerError(ConflictError):
    code = "survey-without-customer"

    def __init__(self, call_id: object, what: str = "Call") -> None:
        if what == "Call":
            detail = f"Call {call_id} has no customer yet: say whose call it is first."
        else:
            detail = f"{what} {call_id} has no customer yet: its events are still settling."
        super().__init__(detail)


class SurveyAnsweredError(ConflictError):
    code = "survey-answered"

    def __init__(self, survey_id: object) -> None:
        super().__init__(f"Survey {survey_id} has been answered already, differently.")


class SurveyAnswerMismatchError(UnprocessableError):
    code = "survey-answer-mismatch"

    def __init__(self, asked: list[str], missing: list[str], unasked: list[str]) -> None:
        super().__init__(
            f"Answer exactly the questions asked ({', '.join(asked)}).",
            extra={"missing": missing, "unasked": unasked},
        )


class FollowUpPolicyNotFoundError(NotFoundError):
    code = "follow-up-policy-not-found"

    def __init__(self, tier: str, kind: str) -> None:
        super().__init__(f"No follow-up policy for {tier} {kind} customers.")

"""What every OpenAPI document says of errors: each one is problem+json, and the ones any
operation can answer (a malformed request, an oversized body, invalid input) are declared."""

from __future__ import annotations

from typing import Any

from shared.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`urn:rapport:problem:<code>`."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "The kebab-case machine code."},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def declare_problems(
    document: dict[str, Any], common: dict[str, str], *, with_body: dict[str, str]
) -> dict[str, Any]:
    """`document` with every error response as problem+json and the `common` errors (plus
    `with_body` for operations that take a body) declared on every operation, in place."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            extra = {**common, **(with_body if "requestBody" in operation else {})}
            for code, description in extra.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if str(code)[0] in "45":
                    response["content"] = _PROBLEM_CONTENT
    return document


SERVICE_ERRORS = {
    "400": "Malformed request: a control character in the path or query string",
    "422": "The request is not valid; see `errors`",
}
BODY_ERRORS = {"413": "The request body is larger than the service reads"}

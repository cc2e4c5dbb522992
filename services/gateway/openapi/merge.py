"""Merging the services' OpenAPI documents into the gateway's (a pure rule on JSON)."""

from __future__ import annotations

import copy
import json
from typing import Any

REF_PREFIX = "#/components/schemas/"
# What the gateway itself may answer for any operation it forwards, before or instead of the
# service's answer.
GATEWAY_ERRORS = {
    "400": "Path refused: dot-segments, encoded slashes, empty segments or control characters",
    "413": "The request body is larger than the gateway forwards",
    "429": "Rate limit exceeded; see `Retry-After`",
    "502": "The owning service could not be reached",
    "504": "The owning service did not answer in time",
}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": REF_PREFIX + "Problem"}}}


def _with_gateway_errors(operation: dict[str, Any], service: str) -> dict[str, Any]:
    responses = dict(operation.get("responses", {}))
    for code, description in GATEWAY_ERRORS.items():
        responses.setdefault(code, {"description": description, "content": _PROBLEM})
    return {**operation, "responses": responses, "x-service": service}


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    """`node` with every `$ref` to a renamed schema pointing at its new name."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def merge_documents(
    own: dict[str, Any], upstream_docs: dict[str, dict[str, Any]], *, missing: list[str]
) -> dict[str, Any]:
    """The gateway's document with every upstream's `/v1/` operations and their schemas.

    A schema name two services use for different shapes is kept once per service as
    `<service>.<Name>`; identical ones are shared. Each operation says which service serves it
    (`x-service`); services that could not be read are listed in `info.x-missing-services`.
    An operation the gateway serves itself stays the gateway's, even where a service has one
    at the same path (each service's part of a customer export, which the gateway gathers).
    """
    merged = copy.deepcopy(own)
    paths: dict[str, Any] = merged.setdefault("paths", {})
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    for service, doc in sorted(upstream_docs.items()):
        theirs: dict[str, Any] = doc.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service}.{name}"
            for name, schema in theirs.items()
            if name in schemas and not _same(schemas[name], schema)
        }
        for name, schema in theirs.items():
            schemas[renames.get(name, name)] = _rename_refs(schema, renames)
        for path, operations in doc.get("paths", {}).items():
            if not path.startswith("/v1/"):
                continue
            target = paths.setdefault(path, {})
            for method, operation in _rename_refs(operations, renames).items():
                if method in own.get("paths", {}).get(path, {}):
                    continue  # the gateway answers it itself (an export gathers the services')
                target[method] = _with_gateway_errors(operation, service)
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"]["schemas"] = dict(sorted(schemas.items()))
    if missing:
        merged.setdefault("info", {})["x-missing-services"] = sorted(missing)
    return merged

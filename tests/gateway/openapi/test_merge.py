"""Merging the services' documents: their routes and schemas, collisions kept apart."""

from __future__ import annotations

from typing import Any

from services.gateway.openapi.merge import merge_documents


def _doc(path: str, schema_name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/{schema_name}"}
                                }
                            },
                        }
                    }
                }
            },
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
        "components": {"schemas": {schema_name: schema}},
    }


def test_routes_and_schemas_of_every_service_are_kept_apart_where_they_differ() -> None:
    own = {"openapi": "3.1.0", "info": {"title": "gw", "version": "1"}, "paths": {}}
    contact = _doc("/v1/customers", "Page", {"type": "object", "title": "customers"})
    complaints = _doc("/v1/complaints", "Page", {"type": "object", "title": "complaints"})
    scoring = _doc("/v1/scores/equity", "Page", {"type": "object", "title": "customers"})

    merged = merge_documents(
        own, {"contact": contact, "complaints": complaints, "scoring": scoring}, missing=[]
    )

    assert set(merged["paths"]) == {"/v1/customers", "/v1/complaints", "/v1/scores/equity"}
    ref = merged["paths"]["/v1/customers"]["get"]["responses"]["200"]["content"]
    contact_ref = ref["application/json"]["schema"]["$ref"]
    other = merged["paths"]["/v1/complaints"]["get"]["responses"]["200"]["content"]
    complaints_ref = other["application/json"]["schema"]["$ref"]
    assert contact_ref != complaints_ref
    titles = {
        r.rsplit("/", 1)[1]: merged["components"]["schemas"][r.rsplit("/", 1)[1]]["title"]
        for r in (contact_ref, complaints_ref)
    }
    assert sorted(titles.values()) == ["complaints", "customers"]
    assert merged["paths"]["/v1/customers"]["get"]["x-service"] == "contact"
    assert "x-missing-services" not in merged["info"]


def test_a_service_that_could_not_be_read_is_named() -> None:
    own = {"openapi": "3.1.0", "info": {"title": "gw", "version": "1"}, "paths": {}}

    merged = merge_documents(own, {}, missing=["scoring"])

    assert merged["info"]["x-missing-services"] == ["scoring"]

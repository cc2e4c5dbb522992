"""One OpenAPI document for the public API: the services' real routes, merged at the gateway."""

"""API keys of services and phone systems: issued once, stored hashed, rotated, revoked."""

"""Contact service: customers and their identities, calls and contacts, their event log."""

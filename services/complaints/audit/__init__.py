"""The audit trail: every change to a complaint, append-only."""

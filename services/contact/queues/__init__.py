"""Queues: the waiting lines, with required skills, service-level targets, hours and overflow."""

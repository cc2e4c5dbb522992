"""Routing: each waiting contact offered to the right agent, the most valuable and at-risk first."""

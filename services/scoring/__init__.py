"""Scoring service: per-customer statistics and scores computed live from events."""

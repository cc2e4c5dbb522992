"""Escalation: raising a complaint's level by hand, on a breach or on churn risk."""

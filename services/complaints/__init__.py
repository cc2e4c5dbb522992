"""Complaints service: complaint lifecycles, their audit trail, SLA policies and calendars."""

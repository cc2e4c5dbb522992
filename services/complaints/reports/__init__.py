"""Reports: complaint handling figures over a period (ISO 10002 monitoring)."""

"""Tests of the complaints service's sla sub-domain."""

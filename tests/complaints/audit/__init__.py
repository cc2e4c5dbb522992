"""Tests of the complaints service's audit sub-domain."""

"""Tests of the complaints service's reports sub-domain."""

"""Tests of the complaints service's complaints sub-domain."""

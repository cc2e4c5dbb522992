"""Tests of the complaints service's customers sub-domain."""

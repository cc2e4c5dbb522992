"""Tests of the complaints service's lifecycle sub-domain."""

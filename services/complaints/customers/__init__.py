"""Customers: what scoring says about them, contacts seen, merges and erasure."""

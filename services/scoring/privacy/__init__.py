"""Data protection: what scoring keeps about a customer, exported on request."""

"""Data protection: what complaints keeps about a customer, exported on request."""

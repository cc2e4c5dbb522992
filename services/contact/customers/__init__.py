"""Customers: identification by phone, e-mail and ids, CRUD, search, merge, erasure, scores."""

"""Contracts and plumbing shared by the Rapport services. No business rules live here."""

"""The Rapport services; each is independent and imports none of the others."""

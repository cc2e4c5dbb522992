"""Satisfaction surveys: the complainant's CSAT and NPS after each closure."""

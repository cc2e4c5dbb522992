"""Retention programmes: a target drawn with a random control group, outreach, measured effect."""

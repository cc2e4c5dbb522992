"""Population views: every customer scored at once, counted by tier, segment and stage."""

"""Customer identity in scoring: merged ids resolve to their survivor, erased ids to nothing."""

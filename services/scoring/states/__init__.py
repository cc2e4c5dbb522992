"""Customer states derived from events: prospect, current, lost, won back; their history."""

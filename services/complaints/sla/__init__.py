"""SLAs: priority, policies, business calendars, the SLA clock and its due-timer."""

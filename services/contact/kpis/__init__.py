"""Contact-center KPIs: service level, speed of answer, handle time, abandonment, occupancy."""

"""Staffing: how many agents a queue needs for its service-level target (Erlang C, Erlang A)."""

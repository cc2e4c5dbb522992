"""Calls: provider events stored once and folded into calls; held, waiting and routed calls."""

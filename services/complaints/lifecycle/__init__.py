"""The complaint lifecycle: the ISO 10002 steps, the transitions between them."""

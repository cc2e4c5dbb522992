"""`make demo`: a simulated call-center day driven through the running system's public API."""

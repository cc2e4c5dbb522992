"""The reverse proxy: which service owns a path, and forwarding the request to it."""

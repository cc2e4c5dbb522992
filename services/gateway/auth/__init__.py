"""Who may pass the gateway: API keys, and the one canonical path a decision is taken on."""

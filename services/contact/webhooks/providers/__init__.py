"""Provider formats: each module verifies a provider's requests and normalises its events."""

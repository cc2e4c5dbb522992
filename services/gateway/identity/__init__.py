"""Who the caller is: API keys, OIDC bearer tokens, the development issuer, roles."""

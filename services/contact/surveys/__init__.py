"""Post-contact surveys: sent after a call, chat or e-mail, answered through the API."""

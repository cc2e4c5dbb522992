"""Provider webhooks: Twilio, Amazon Connect and the signed generic call event."""

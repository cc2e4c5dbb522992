"""Non-voice contacts (e-mail, chat, web form, SMS) and a customer's history across channels."""

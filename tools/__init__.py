"""Developer commands: run the system, migrate databases, export event schemas."""

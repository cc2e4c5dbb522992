"""A customer's data export: every service's part in one document, or nothing."""

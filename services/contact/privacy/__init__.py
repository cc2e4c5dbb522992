"""Data protection: a customer's data export, and how long raw call payloads are kept."""

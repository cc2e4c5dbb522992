"""Follow-up policies: what each relationship level does after contacts, complaints and sales."""

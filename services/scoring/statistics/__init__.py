"""Per-customer statistics: transactions, contacts, complaints and surveys, folded in."""

"""Per-customer scores: value and tier, RFM, churn risk with reasons, lifecycle, publishing."""

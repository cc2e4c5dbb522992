"""The customer 360: one view of a customer gathered from every service in parallel."""

"""Notes: what was said or learned about a contact."""

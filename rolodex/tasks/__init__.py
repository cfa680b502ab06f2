"""Tasks: to-dos about a contact."""

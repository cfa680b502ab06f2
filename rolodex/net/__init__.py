"""Outbound connections: which hosts Rolodex may call, and calling only those."""

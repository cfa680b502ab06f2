"""The audit log: who changed what, when, through which credential and request."""

"""Idempotency keys: a retried mutation is answered, not performed, a second time."""

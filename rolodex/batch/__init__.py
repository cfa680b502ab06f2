"""Batch writes: up to 250 contacts or companies created or upserted in one request."""

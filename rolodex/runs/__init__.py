"""Runs: what one sync, flow or operation run did, step by step (``/runs``)."""

"""Accounts (tenants), their users and API keys."""

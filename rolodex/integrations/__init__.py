"""Connections to other systems (MOCO, HighLevel, other Rolodex servers) and the machinery
every connector shares: credentials at rest, rate budgets, retries, OAuth 2.0 as a
client, usage, and the leased jobs that do the work. See docs/integrations.md."""

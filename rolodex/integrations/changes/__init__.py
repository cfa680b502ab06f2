"""Change detection: the stream of remote changes of each connection.

What a connection's remote changed reaches Rolodex two ways — its webhooks
(:mod:`.hook_routes`, ``POST /integrations/hooks/{connection_id}``) and polling
(:mod:`.polling`, a job per connection) — and both feed one stored stream per connection
(:mod:`.store`), de-duplicated by remote type, id and ``updated_at``, numbered in commit
order, that flows and syncs watch (:mod:`.watch`).
"""

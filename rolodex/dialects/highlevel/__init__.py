"""HighLevel (LeadConnector v2) spoken over Rolodex: the ``/highlevel`` surface.

- :mod:`.surface` — the :class:`~rolodex.http.surface.Surface`: HighLevel's error body,
  its ``Version`` header, its rate-limit headers, the ``traceId`` header.
- :mod:`.shapes` — pure functions between the native representation (what the native
  output schemas dump) and HighLevel's dicts, both ways.
- :mod:`.bodies` — HighLevel's request bodies, as the routes validate them.
- :mod:`.contacts`, :mod:`.search`, :mod:`.records`, :mod:`.tags`,
  :mod:`.custom_fields` — the routes, each calling the native services.
- :mod:`.routes` — every router of the surface, for :func:`rolodex.http.surface.mount`.

``locationId`` is the account id; an id of another account is 403, never data.
"""

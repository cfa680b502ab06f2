"""What an operator watches: ``/metrics`` in the Prometheus text format and one log event
a line.

- :mod:`.metrics` defines every metric and the few calls the rest of Rolodex makes to
  move them (it imports nothing of Rolodex, so anything may call it);
- :mod:`.backlog` reads the queues' depth from the database when ``/metrics`` is scraped;
- :mod:`.routes` serves ``/metrics``, behind ``ROLODEX_METRICS_TOKEN``;
- :mod:`.middleware` times each request, counts it by route template and status and logs
  it as one event;
- :mod:`.logs` formats log records as JSON or as text for a terminal;
- :mod:`.multiprocess` gives ``rolodex serve --workers N`` a directory to share;
- :func:`.wiring.install` wires it all into the application, in one place.
"""

"""The MOCO dialect: ``/moco/api/v1``, MOCO's API over Rolodex's own services.

- :mod:`.surface`: the :class:`~rolodex.http.surface.Surface` (``{"message"}`` errors,
  MOCO's statuses) and the JSON response class.
- :mod:`.shapes`: pure functions from the native representation (the native output
  schemas' dump) to MOCO's bodies, and from MOCO's request bodies to the native write
  schemas' values, with the schemas that document both.
- :mod:`.refs`: the integer ids and the embedded company and user a shape needs.
- :mod:`.listing`: MOCO's list parameters, pages and headers.
- :mod:`.routes`: one module per resource; thin, calling the native services.
- :mod:`.delivery`: web-hook deliveries in MOCO's form (``X-Moco-Signature``).

This package imports nothing at import time, so that the webhook formats can list
:mod:`.delivery` without pulling in the routes.
"""

"""Dialects: other vendors' APIs spoken over Rolodex's own services.

A dialect is a :class:`~rolodex.http.surface.Surface` (prefix, error body, rate-limit
headers) plus routes that translate the vendor's fields, ids, envelopes and pagination
to and from the native services' schemas. It owns no table of records: what it shows is
the account's data, through the same pipeline as the native API. The one thing dialects
keep is :mod:`rolodex.dialects.numbers`, the integer ids some vendors' clients need.
"""

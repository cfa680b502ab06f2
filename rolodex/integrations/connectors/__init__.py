"""The connectors: one module per kind of remote, each a declaration (see
:mod:`rolodex.integrations.connector`); :mod:`rolodex.integrations.connectors_registry`
lists them."""

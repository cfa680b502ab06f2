"""The dashboard: Rolodex in the browser, server-rendered (``/dashboard``)."""

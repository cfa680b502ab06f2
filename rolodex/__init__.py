"""Rolodex: a self-hosted CRM server with a first-class API."""

__version__ = "0.1.0"

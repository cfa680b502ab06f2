"""Contacts: the people an account does business with."""

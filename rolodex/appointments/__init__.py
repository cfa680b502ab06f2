"""Appointments: meetings with a contact."""

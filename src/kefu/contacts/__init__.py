"""Contacts (M1): every interaction with the center, from every channel."""

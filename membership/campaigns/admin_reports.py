"""Wagtail admin hooks of the campaigns' reports area (imported by membership/wagtail_hooks.py)."""

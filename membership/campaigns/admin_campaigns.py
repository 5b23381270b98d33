"""Wagtail admin hooks of the campaigns' campaigns area (imported by membership/wagtail_hooks.py)."""

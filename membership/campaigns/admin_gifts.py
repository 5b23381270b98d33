"""Wagtail admin hooks of the campaigns' gifts area (imported by membership/wagtail_hooks.py)."""

"""Wagtail admin hooks of the campaigns' messages area (imported by membership/wagtail_hooks.py)."""

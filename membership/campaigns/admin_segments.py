"""Wagtail admin hooks of the campaigns' segments area (imported by membership/wagtail_hooks.py)."""

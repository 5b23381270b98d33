"""Wagtail admin hooks of the campaigns' reports area (imported by membership/wagtail_hooks.py).

No menu entry: each campaign's report is reached from the campaign list and the campaign's page."""

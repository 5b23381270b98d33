"""Retention insight: who stays, who is slipping away, and what the community is worth.

- ``clv.py``: the buy-till-you-die models (BG/NBD, Gamma-Gamma), nothing else.
- ``metrics.py``: the store's figures from purchase histories (docs/insight.md defines them).
- ``engagement.py``: the registry through which other apps report community activity.
- ``refresh.py``: ``insight_refresh`` reads orders, computes, stores; pages never compute.
- ``models.py``: the stored results and the store's retention settings (imported by
  ``membership.models``); ``types.py``: the shapes of their JSON fields.
- ``selectors.py``: reads of the stored results for the admin pages.
- ``report.py``, ``charts.py``, ``tables.py``: the report's content, its SVG charts, and its
  tables (on the page and as CSV).
- ``views.py``, ``urls.py``: the report and the at-risk list in the admin, with their exports,
  and a member's retention card and the dashboard's headline.
"""

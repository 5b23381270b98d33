"""Retention insight: who stays, who is slipping away, and what the community is worth.

- ``clv.py``: the buy-till-you-die models (BG/NBD, Gamma-Gamma), nothing else.
- ``metrics.py``: the store's figures from purchase histories (docs/insight.md defines them).
- ``engagement.py``: the registry through which other apps report community activity.
- ``refresh.py``: ``insight_refresh`` reads orders, computes, stores; pages never compute.
- ``selectors.py``: reads of the stored results for the admin pages.
- ``models.py``: the stored results (imported by ``membership.models``).
"""

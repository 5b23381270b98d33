"""The server's heap, settled once it has loaded.

Python's cyclic collector walks every tracked object of the generations it collects, and a
full collection walks them all: Django, Wagtail, every model, URL pattern and template
loaded at start-up, hundreds of thousands of objects that live as long as the process.
With 1,000 live-room sockets per process the storm bench (bench/vote_storm.py) saw the
collector stop a process for up to 436 ms at a time, 6.7 s in a minute across two
processes, and every vote and reply waited through it. ``gc.freeze()`` moves what exists
after start-up into a generation the collector never walks (the remedy the CPython docs
give for pre-fork servers; the same holds for one long-lived process).
"""

from __future__ import annotations

import gc

from django.urls import get_resolver

# The youngest generation is collected after this many allocations (CPython: 700). A socket's
# frame, a vote or a request allocates thousands of short-lived objects that die young, so at
# 700 the storm ran a collection nine times a second per process (5 s of a minute); the older
# generations keep CPython's ratios.
THRESHOLDS = (10_000, 10, 10)


def settle() -> None:
    """Load what a first request would load, collect what start-up left, freeze the rest."""
    get_resolver().url_patterns  # noqa: B018 (imports every URLconf and the views they name)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

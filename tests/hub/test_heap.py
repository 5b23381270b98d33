"""The server settles its heap once loaded (hub/heap.py): what start-up made is frozen, so
the cyclic collector's full passes walk only what the sockets and requests make."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture
def unfrozen():
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    yield
    gc.freeze()  # as the server leaves it
    gc.set_threshold(*thresholds)


def test_loading_the_asgi_application_freezes_the_start_up_heap(unfrozen):
    from hub import heap

    assert gc.get_freeze_count() == 0
    heap.settle()
    # Django, Wagtail, the models and every URLconf: well over a hundred thousand objects.
    assert gc.get_freeze_count() > 100_000
    tracked = len(gc.get_objects())
    assert tracked < gc.get_freeze_count() / 2
    # Young objects are collected in larger, rarer passes than CPython's default of 700.
    assert gc.get_threshold() == heap.THRESHOLDS == (10_000, 10, 10)


def test_the_asgi_module_settles_the_heap():
    import hub.asgi

    assert gc.get_freeze_count() > 100_000
    assert hub.asgi.settle.__module__ == "hub.heap"

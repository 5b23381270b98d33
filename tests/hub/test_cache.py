"""hub.cache.FaultTolerantRedisCache without a Redis: every call against a closed port is a
miss (as Django's cache contract words one), the callers that count on the cache keep
working, and a breaker keeps Redis from being asked again for a few seconds."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory, override_settings

import hub.cache
from tests.redis_server import free_port


def closed_port_cache(retry_seconds: float = 5) -> dict:
    return {
        "default": {
            "BACKEND": "hub.cache.FaultTolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": "kanta",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1.0,
                "DOWN_RETRY_SECONDS": retry_seconds,
            },
        }
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(hub.cache.time, "monotonic", clock)
    return clock


@pytest.fixture(autouse=True)
def fresh_breakers(monkeypatch):
    monkeypatch.setattr(hub.cache, "_breakers", {})


@pytest.fixture
def down_cache():
    with override_settings(CACHES=closed_port_cache()):
        yield caches["default"]


@pytest.fixture
def attempts(down_cache, monkeypatch):
    """How many times the backend asked redis-py for a client (one per Redis call)."""
    calls = []
    client = down_cache._cache
    original = client.get_client

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "get_client", counting)
    return calls


def test_every_call_is_a_miss_while_redis_is_unreachable(down_cache, clock):
    assert down_cache.get("a") is None
    assert down_cache.get("a", "fallback") == "fallback"
    assert down_cache.get_many(["a", "b"]) == {}
    assert down_cache.has_key("a") is False
    assert down_cache.set("a", 1) is None
    assert down_cache.add("a", 1) is True  # "stored": a lock taken with add goes ahead
    assert down_cache.touch("a") is False
    assert down_cache.delete("a") is False
    assert down_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert down_cache.delete_many(["a", "b"]) is None
    assert down_cache.get_or_set("a", 7) == 7
    assert down_cache.clear() is False
    with pytest.raises(ValueError, match="not found"):
        down_cache.incr("a")
    with pytest.raises(ValueError, match="not found"):
        down_cache.decr("a")


async def test_async_calls_are_misses_too(down_cache, clock):
    assert await down_cache.aget("a", "fallback") == "fallback"
    assert await down_cache.aadd("a", 1) is True
    await down_cache.aset("a", 1)
    with pytest.raises(ValueError, match="not found"):
        await down_cache.aincr("a")


def test_a_programming_error_still_raises(down_cache, clock):
    # Only an outage is a miss: a value that cannot be stored is the caller's bug.
    with pytest.raises((TypeError, AttributeError)):
        down_cache.set("a", lambda: None)
    assert not down_cache.breaker.down


def test_the_breaker_skips_redis_until_the_pause_is_over(down_cache, attempts, clock):
    assert down_cache.get("a") is None
    assert len(attempts) == 1
    for _ in range(50):
        down_cache.get("a")
        down_cache.set("a", 1)
    assert len(attempts) == 1, "the breaker is open: nobody asks Redis"

    clock.now += 4.9
    down_cache.get("a")
    assert len(attempts) == 1

    clock.now += 0.2
    assert down_cache.get("a") is None  # the probe, and it fails again
    assert len(attempts) == 2
    down_cache.get("a")
    assert len(attempts) == 2, "the failed probe started a new pause"


def test_one_probe_at_a_time_after_the_pause(down_cache, clock):
    breaker = down_cache.breaker
    down_cache.get("a")
    clock.now += 6
    assert breaker.allows() is True  # this caller probes
    assert breaker.allows() is False  # the others keep skipping while it does


def test_every_threads_backend_shares_one_breaker(down_cache, clock):
    import threading

    down_cache.get("a")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(caches["default"]))
    thread.start()
    thread.join()
    assert seen[0] is not down_cache  # Django makes one backend per thread
    assert seen[0].breaker is down_cache.breaker and seen[0].breaker.down


def test_one_warning_per_outage(down_cache, clock, caplog):
    with caplog.at_level(logging.WARNING, logger="hub.cache"):
        for _ in range(3):
            down_cache.get("a")
            clock.now += 10
    warnings = [record for record in caplog.records if record.name == "hub.cache"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()
    assert "ConnectionError" in warnings[0].getMessage()


def test_the_log_names_host_and_port_never_a_password(clock, caplog):
    port = free_port()
    settings = closed_port_cache()
    settings["default"]["LOCATION"] = f"redis://:s3cret@127.0.0.1:{port}/0"
    with override_settings(CACHES=settings), caplog.at_level(logging.WARNING, logger="hub.cache"):
        caches["default"].get("a")
    (record,) = [record for record in caplog.records if record.name == "hub.cache"]
    assert f"127.0.0.1:{port}" in record.getMessage()
    assert "s3cret" not in record.getMessage()


def test_review_and_helpful_limits_fail_open(down_cache, clock):
    from hub.rate_limits import rate_limit_consume

    for _ in range(5):
        rate_limit_consume(key="helpful:1", limit=2, period=60, refusal="Too many.")


def test_related_guides_versions_and_navigation_work_uncached(down_cache, clock, db):
    """The related guides' key is the CONTENT version, read from the database: a cache
    outage neither fails the page nor keeps an old ranking after a change."""
    from content.models import BuyingGuidePage, GuideIndexPage, related_guides
    from content.navigation import navigation_clear, navigation_items
    from hub.versions import CONTENT, bump, versions_key
    from tests.content.conftest import make_home, publish

    index = publish(make_home(), GuideIndexPage(title="Guides", slug="guides"))
    first, second = (
        publish(index, BuyingGuidePage(title=title, slug=title.lower(), intro="Picks."))
        for title in ("First", "Second")
    )
    before = versions_key([CONTENT])
    assert related_guides(guide=first) == [second]
    bump(CONTENT)
    assert versions_key([CONTENT]) != before
    assert related_guides(guide=first) == [second]
    navigation_clear()
    assert isinstance(navigation_items(), list)


def test_leaderboard_is_computed_when_the_cache_is_down(
    down_cache, clock, member, django_assert_max_num_queries
):
    from membership.selectors import leaderboard

    with django_assert_max_num_queries(2):
        assert leaderboard() == []


def test_allauths_sign_in_limit_goes_ahead_at_once(down_cache, attempts, clock):
    """allauth takes a lock with cache.add and waits up to a second for it, then refuses
    (429). With the cache down the lock is "taken" at once, and nothing waits."""
    from allauth.core.internal import ratelimit

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    for _ in range(40):  # over "login": 30/m/ip, which is not counted while Redis is down
        assert ratelimit.consume(request, app="allauth.account", action="login")
    assert len(attempts) == 1


def test_the_default_cache_is_untouched(clock):
    # Outside override_settings the project's own cache (local memory in tests) is in use.
    cache.set("a", 1)
    assert cache.get("a") == 1


def test_redis_settings_fail_soft_and_keep_sessions_out_of_the_cache(tmp_path):
    """With REDIS_URL: the fault-tolerant cache with short timeouts, sessions in the database
    only, and the channel layer retrying once on a connection Redis dropped."""
    from tests.hub.test_settings import run

    script = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "host = s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0];"
        "print(json.dumps({'cache': s.CACHES['default'], 'session': s.SESSION_ENGINE,"
        " 'retries': host['retry'].get_retries(),"
        " 'retried': [e.__name__ for e in host['retry']._supported_errors]}))"
    )
    result = run(
        ["-c", script],
        {
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "KANTA_VAR_DIR": str(tmp_path),
            "REDIS_URL": "redis://cache.internal:6379/0",
        },
    )
    assert result.returncode == 0, result.stderr
    described = json.loads(result.stdout.strip().splitlines()[-1])
    assert described["cache"]["BACKEND"] == "hub.cache.FaultTolerantRedisCache"
    assert described["cache"]["OPTIONS"]["socket_connect_timeout"] <= 1
    assert described["cache"]["OPTIONS"]["socket_timeout"] <= 1
    assert described["session"] == "django.contrib.sessions.backends.db"
    assert described["retries"] == 1 and described["retried"] == ["ConnectionError"]

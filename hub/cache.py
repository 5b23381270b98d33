"""The Redis cache backend Kanta uses: a Redis outage reads as an empty cache, never a 500.

Everything Kanta keeps in the cache can be recomputed or is a limit that may fail open for a
short outage (navigation, leaderboard rankings, related guides, rate-limit counters), so
while Redis is unreachable every call answers as if the cache were empty:

- ``get`` returns the default, ``get_many`` ``{}``, ``has_key`` and ``touch`` False;
- ``set`` and ``delete_many`` do nothing, ``delete`` returns False, ``set_many`` returns
  every key (Django's "keys that failed");
- ``add`` returns True, as though the key were stored: callers that use ``add`` as a lock
  (allauth's rate limiter) then go ahead instead of waiting for a lock nobody can take;
- ``incr``/``decr`` raise ValueError, Django's "key not found", which every caller already
  handles by starting a new count.

Rate limits counted in the cache (allauth's sign-in limits, review and helpful-vote limits)
therefore do not limit while Redis is down: failing open for a short outage, logged, beats
refusing every sign-in. Sessions are not in the cache at all (``SESSION_ENGINE``).

After a failure a breaker skips Redis for ``DOWN_RETRY_SECONDS`` (one caller then probes it
again), so an outage costs one connect timeout per few seconds instead of one per call. The
breaker is shared by every thread's backend for the same servers, and logs one warning when
Redis goes away and one when it answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What an unreachable, restarting or hung Redis raises (BusyLoadingError and
# MaxConnectionsError are ConnectionErrors). Anything else, a bad key or a server that
# answers with an error, is a bug and still raises.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
DEFAULT_DOWN_RETRY_SECONDS = 5.0


class CircuitBreaker:
    """Whether Redis may be tried now; one per server list and process."""

    def __init__(self, *, name: str, retry_seconds: float) -> None:
        self.name = name
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self._down

    def allows(self) -> bool:
        """True when a call may go to Redis. While down, the first caller after the pause
        is let through as the probe and the pause starts again for everyone else."""
        if not self._down:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_seconds
            return True

    def failed(self, error: Exception) -> None:
        with self._lock:
            was_down = self._down
            self._down = True
            self._retry_at = time.monotonic() + self.retry_seconds
        if not was_down:
            logger.warning(
                "Cache %s is unreachable (%s: %s); serving without it, retrying every %g s",
                self.name,
                error.__class__.__name__,
                error,
                self.retry_seconds,
            )

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down = self._down
            self._down = False
        if was_down:
            logger.warning("Cache %s answers again", self.name)


_breakers: dict[tuple[str, ...], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers: Iterable[str], *, retry_seconds: float) -> CircuitBreaker:
    key = tuple(servers)
    with _breakers_lock:
        breaker = _breakers.get(key)
        if breaker is None:
            # Only host and port in the log: the URL may carry a password.
            name = ", ".join(urlsplit(server).netloc.rsplit("@", 1)[-1] for server in key)
            breaker = _breakers[key] = CircuitBreaker(name=name, retry_seconds=retry_seconds)
        return breaker


class FaultTolerantRedisCache(RedisCache):
    """Django's RedisCache, with an outage turned into misses (see the module docstring).

    ``OPTIONS["DOWN_RETRY_SECONDS"]`` sets the breaker's pause; the other options go to
    redis-py as usual (set short ``socket_connect_timeout``/``socket_timeout`` there).
    """

    # Set by RedisCache.__init__ (the server list); django-stubs does not declare it.
    _servers: list[str]

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        retry_seconds = float(options.pop("DOWN_RETRY_SECONDS", DEFAULT_DOWN_RETRY_SECONDS))
        # A pooled connection that Redis dropped (a restart) fails its next command; one
        # immediate retry on a fresh connection keeps that from reading as a new outage.
        # Timeouts are not retried: that would double the wait on a hung server.
        options.setdefault("retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        super().__init__(server, {**params, "OPTIONS": options})
        self.breaker = breaker_for(self._servers, retry_seconds=retry_seconds)

    def _guarded(self, call: Callable[[], T], fallback: T) -> T:
        if not self.breaker.allows():
            return fallback
        try:
            result = call()
        except OUTAGE_ERRORS as error:
            self.breaker.failed(error)
            return fallback
        self.breaker.succeeded()
        return result

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(partial(super().add, key, value, timeout, version), True)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded(partial(super().get, key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guarded(partial(super().set, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(partial(super().touch, key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(partial(super().delete, key, version), False)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._guarded(partial(super().get_many, keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(partial(super().has_key, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        missing = object()
        result = self._guarded(partial(super().incr, key, delta, version), missing)
        if result is missing:
            raise ValueError(f"Key {key!r} not found (the cache is unreachable).")
        return result  # type: ignore[return-value]

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guarded(partial(super().set_many, data, timeout, version), list(data))

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._guarded(partial(super().delete_many, keys, version), None)

    # RedisCache.clear returns flushdb's answer; django-stubs gives it BaseCache's None.
    def clear(self) -> bool:  # type: ignore[override]
        return self._guarded(super().clear, False)  # type: ignore[arg-type]

"""What every community socket shares: the close codes beside hub.realtime's 4401 and 4403,
and the member as the database has them now.

A consumer refuses with ``CLOSE_UNAUTHENTICATED`` (4401: sign in), ``CLOSE_FORBIDDEN`` (4403:
not allowed) or ``CLOSE_NOT_FOUND`` (4404: no such thread or room); browsers stop
reconnecting on all three (hub/static/hub/live_socket.js). ``CLOSE_RECONNECT`` asks them to
reconnect instead.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from hub.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from membership.models import User

# The thread, category or room does not exist (any more).
CLOSE_NOT_FOUND = 4404
# "What you may read changed: reconnect" (a list socket that lost a category; the standard
# "service restart" code, so every client reconnects with its usual backoff).
CLOSE_RECONNECT = 1012


def fresh_user(member_id: int | None) -> User | AnonymousUser:
    """The member as the database has them now (permissions, sanctions and tier are cached
    on a user object, so a re-check must not reuse the one from connect)."""
    if member_id is None:
        return AnonymousUser()
    return User.objects.filter(pk=member_id, is_active=True).first() or AnonymousUser()


def socket_refusal(user: User | AnonymousUser, *, can_read: bool) -> int:
    """0 when the socket may open, else its close code: 4401 anonymous, 4403 signed in."""
    if can_read:
        return 0
    return CLOSE_FORBIDDEN if user.is_authenticated else CLOSE_UNAUTHENTICATED

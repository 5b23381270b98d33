"""Early access: a guide or blog post restricted to a minimum tier until a date.

Content knows only that a page names a tier (``settings.KANTA_TIER_MODEL``) and a date. Who
has which tier, and whether it is enough, is the membership app's business: it registers an
``EarlyAccessPolicy`` here from its ``AppConfig.ready()``. With no policy registered a
restricted page is closed to everyone but the people who can edit it.

"Restricted now" is decided at request time from the date, never stored or cached, so a page
opens by itself when its date passes: no job, no cache to expire.

Here: the policy's protocol and its registration, the date tests (``is_restricted``,
``open_now_q``) and one reader's view of one page (``early_access_for``). Leaving restricted
pages out of any page queryset is ``exclude_restricted`` in content/selectors.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from wagtail.models import Page


@dataclass(frozen=True)
class Shortfall:
    """How far a signed-in reader is from the tier that would open a page."""

    current_tier: str
    needed_tier: str
    points_needed: int
    # Where the reader sees their points and how to earn more.
    progress_url: str = ""


class EarlyAccessPolicy(Protocol):
    def assess(self, user: Any, page: Page) -> tuple[bool, Shortfall | None]:
        """For a signed-in user and a restricted page (whose tier may be None if it was
        deleted: then no standing opens it): whether their standing opens it, and if not,
        what they lack (None when the policy cannot say). One call, so the policy reads the
        member's standing once."""

    def tier_choices(self) -> dict[str, Any] | Q:
        """Which tiers an editor may restrict a page to (``limit_choices_to``)."""


@dataclass(frozen=True)
class EarlyAccess:
    """One reader's view of one page's early-access state."""

    restricted: bool
    can_read: bool = True
    tier_name: str = ""
    until: datetime | None = None
    shortfall: Shortfall | None = None

    @property
    def teaser_only(self) -> bool:
        return self.restricted and not self.can_read


OPEN = EarlyAccess(restricted=False)

_policy: EarlyAccessPolicy | None = None


def register_early_access_policy(policy: EarlyAccessPolicy | None) -> None:
    """Install the policy that decides who reads restricted pages (None removes it)."""
    global _policy
    _policy = policy


def early_access_tier_choices() -> dict[str, Any] | Q:
    """``limit_choices_to`` for a page's early-access tier: the policy's choice, else any tier."""
    return _policy.tier_choices() if _policy is not None else {}


def is_restricted(page: Any, *, now: datetime | None = None) -> bool:
    """The opening date is still ahead; a past date simply means open.

    The date alone decides, so the page fails closed: if its tier is deleted (the foreign key
    goes null) the page stays shut to all but its editors until the date, rather than open."""
    return bool(page.early_access_until and page.early_access_until > (now or timezone.now()))


def open_now_q(*, now: datetime | None = None) -> Q:
    """Pages everyone may read in full right now (the complement of ``is_restricted``)."""
    return Q(early_access_until__isnull=True) | Q(early_access_until__lte=now or timezone.now())


def _can_edit(user: Any, page: Page) -> bool:
    # Admin access first: it is read from the permissions the request has already loaded,
    # and spares members the page-permission queries.
    return (
        bool(user.is_active)
        and user.has_perm("wagtailadmin.access_admin")
        and page.permissions_for_user(user).can_edit()
    )


def early_access_for(
    *, page: Any, user: Any, now: datetime | None = None, previewing: bool = False
) -> EarlyAccess:
    """Whether ``user`` reads ``page`` in full, and if not, what they see instead.

    ``previewing``: the admin's preview, which only people who edit pages can reach (and
    whose page may not be saved yet, so it has no permissions to ask about)."""
    if not is_restricted(page, now=now):
        return OPEN
    tier = page.early_access_tier
    state = {"restricted": True, "tier_name": str(tier) if tier else "", "until": page.early_access_until}
    if previewing:
        return EarlyAccess(can_read=True, **state)
    if not user.is_authenticated:
        return EarlyAccess(can_read=False, **state)
    can_read, shortfall = _policy.assess(user, page) if _policy is not None else (False, None)
    if can_read or _can_edit(user, page):
        return EarlyAccess(can_read=True, **state)
    return EarlyAccess(can_read=False, shortfall=shortfall, **state)

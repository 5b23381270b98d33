"""Django's model backend, reading a member's permissions in one query instead of two.

Every signed-in page asks one permission (the header's "Admin" link and Wagtail's userbar:
``wagtailadmin.access_admin``), which loads all of the member's permissions: Django reads the
member's own and their groups' in two queries. Here one query reads both; the answer and the
per-request cache (``_perm_cache``, which allauth's backend, a ModelBackend too, shares) are
Django's, and ``get_user_permissions`` / ``get_group_permissions`` are untouched.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class MemberBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache") and hasattr(user_obj, "_group_perm_cache"):
            # Both halves read already (a batch preloads them: community/events/services/live.py).
            user_obj._perm_cache = {
                *self.get_user_permissions(user_obj),
                *self.get_group_permissions(user_obj),
            }
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = permissions.order_by().values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache

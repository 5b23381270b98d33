"""Django's model backend, reading a member's permissions in one query instead of two.

Every signed-in page asks one permission (the header's "Admin" link and Wagtail's userbar:
``wagtailadmin.access_admin``), which loads all of the member's permissions: Django reads the
member's own and their groups' in two queries. Here one query reads both; the answer and the
per-request cache (``_perm_cache``, which allauth's backend, a ModelBackend too, shares) are
Django's, and ``get_user_permissions`` / ``get_group_permissions`` are untouched.

The query is plain SQL from the models' own table and column names: as a queryset (a join
and an OR across both many-to-many tables) Django took 0.7 ms to build it, on every
signed-in page, for a statement that runs in a tenth of that (bench/render.py).
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


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
            with connection.cursor() as cursor:
                if user_obj.is_superuser:
                    cursor.execute(_permissions_sql(every=True))
                else:
                    cursor.execute(_permissions_sql(every=False), [user_obj.pk, user_obj.pk])
                rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


@functools.cache
def _permissions_sql(*, every: bool) -> str:
    """Every permission (a superuser's), or the member's own and their groups', as
    (app label, codename) rows."""
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    def pk(model: Any) -> str:
        return column(model, model._meta.pk.name)

    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions").remote_field.through
    member_groups = user_model._meta.get_field("groups").remote_field.through
    group_permissions = Group._meta.get_field("permissions").remote_field.through
    user_field = str(user_model._meta.model_name)  # the through table's field: "user"
    # Names from the models' metadata, values as parameters.
    sql = (
        f"SELECT DISTINCT ct.{column(ContentType, 'app_label')}, p.{column(Permission, 'codename')}"  # noqa: S608
        f" FROM {table(Permission)} p INNER JOIN {table(ContentType)} ct"
        f" ON ct.{pk(ContentType)} = p.{column(Permission, 'content_type')}"
    )
    if every:
        return sql
    via_group = column(group_permissions, "group")
    return (
        f"{sql} WHERE p.{pk(Permission)} IN ("  # noqa: S608
        f"SELECT {column(own, 'permission')} FROM {table(own)} WHERE {column(own, user_field)} = %s"
        f" UNION SELECT gp.{column(group_permissions, 'permission')} FROM {table(group_permissions)} gp"
        f" INNER JOIN {table(member_groups)} mg ON mg.{column(member_groups, 'group')} = gp.{via_group}"
        f" WHERE mg.{column(member_groups, user_field)} = %s)"
    )

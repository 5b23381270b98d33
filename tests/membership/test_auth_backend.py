"""membership/auth_backends.py: the same permissions as Django's ModelBackend, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.test import Client

from membership.auth_backends import MemberBackend
from membership.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def fresh(member) -> User:
    return User.objects.get(pk=member.pk)  # no per-request cache


def test_the_permissions_are_django_s_in_one_query(django_assert_num_queries):
    member = make_member("aino")
    member.user_permissions.add(Permission.objects.get(codename="view_product"))
    group = Group.objects.create(name="Helpers")
    group.permissions.add(Permission.objects.get(codename="change_product"))
    member.groups.add(group)
    superuser = make_member("kaisa")
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    inactive = make_member("olli")
    inactive.user_permissions.add(Permission.objects.get(codename="view_product"))
    User.objects.filter(pk=inactive.pk).update(is_active=False)

    for someone in [member, superuser, inactive, make_member("eero")]:
        expected = ModelBackend().get_all_permissions(fresh(someone))
        user = fresh(someone)
        with django_assert_num_queries(1 if user.is_active else 0):
            assert MemberBackend().get_all_permissions(user) == expected
        with django_assert_num_queries(0):  # cached for the request, as Django's is
            assert MemberBackend().get_all_permissions(user) == expected
    assert {"content.view_product", "content.change_product"} <= MemberBackend().get_all_permissions(
        fresh(member)
    )
    assert MemberBackend().has_perm(fresh(member), "content.change_product")
    assert not MemberBackend().has_perm(fresh(member), "content.delete_product")


def test_a_session_signed_in_through_django_s_backend_stays_signed_in(client):
    member = make_member("aino")
    old = Client()
    old.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    response = old.get("/members/aino/")
    assert response.wsgi_request.user == member
    client.force_login(member)
    assert client.get("/members/aino/").wsgi_request.user == member


def test_halves_read_for_a_batch_are_used_without_a_query(django_assert_num_queries):
    """community/events/services/live.py preloads Django's two caches for a batch of voters."""
    from community.events.services.live import _permissions_preload

    member = make_member("aino")
    member.user_permissions.add(Permission.objects.get(codename="view_product"))
    users = [fresh(member), fresh(make_member("eero"))]
    _permissions_preload(users)
    with django_assert_num_queries(0):
        assert MemberBackend().get_all_permissions(users[0]) == {"content.view_product"}
        assert not users[1].has_perm("content.view_product")


def test_a_permission_held_twice_is_one_permission():
    """Own and through two groups at once: the set Django's backend gives, on both databases."""
    member = make_member("aino")
    view = Permission.objects.get(codename="view_product")
    member.user_permissions.add(view)
    for name in ("Helpers", "Testers"):
        group = Group.objects.create(name=name)
        group.permissions.add(view, Permission.objects.get(codename="change_product"))
        member.groups.add(group)
    assert (
        MemberBackend().get_all_permissions(fresh(member))
        == ModelBackend().get_all_permissions(fresh(member))
        == {"content.view_product", "content.change_product"}
    )

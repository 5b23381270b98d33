"""Opening one notification (/notifications/<id>/open/): marks it read, tells every tab, and
follows its link; the read is saved even while the channel layer is down."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from membership.services.notifications import notification_send

pytestmark = pytest.mark.django_db


def open_url(notification) -> str:
    return reverse("membership:notification_open", args=[notification.pk])


def test_opening_marks_read_broadcasts_and_redirects_to_the_link(
    client, member, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("hub.realtime._publish", lambda group, message: sent.append((group, message)))
    notification = notification_send(recipient=member, kind="k", title="featured", url="/guides/studs/")
    other = notification_send(recipient=member, kind="k", title="other", url="/")
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(open_url(notification))
    assert response.status_code == 302
    assert response["Location"] == "/guides/studs/"
    notification.refresh_from_db()
    other.refresh_from_db()
    assert notification.read_at is not None
    assert other.read_at is None
    [(group, message)] = sent
    assert group == f"member.{member.pk}"
    assert message["event"] == "notification.read"
    assert json.loads(message["text"]) == {"type": "notification.read", "ids": [notification.pk], "unread": 1}


def test_notification_page_links_go_through_open(client, member):
    notification = notification_send(recipient=member, kind="k", title="featured", url="/guides/studs/")
    client.force_login(member)
    content = client.get(reverse("membership:notifications")).content.decode()
    assert f'href="{open_url(notification)}"' in content
    assert 'href="/guides/studs/"' not in content


def test_opening_works_while_the_channel_layer_is_down(
    client, member, django_capture_on_commit_callbacks, monkeypatch
):
    def layer_down(group, message):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("hub.realtime._publish", layer_down)
    notification = notification_send(recipient=member, kind="k", title="featured", url="/")
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(open_url(notification))
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_not_found_and_stays_unread(client, member, other_member):
    theirs = notification_send(recipient=other_member, kind="k", title="theirs", url="/")
    client.force_login(member)
    assert client.get(open_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_a_link_off_the_site_or_none_leads_back_to_the_notifications_page(client, member, url):
    notification = notification_send(recipient=member, kind="k", title="odd", url=url)
    client.force_login(member)
    response = client.get(open_url(notification))
    assert response["Location"] == reverse("membership:notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_as_read_button_for_a_notification_without_a_link(client, member):
    notification = notification_send(recipient=member, kind="k", title="no link")
    client.force_login(member)
    content = client.get(reverse("membership:notifications")).content.decode()
    assert f'action="{open_url(notification)}"' in content
    response = client.post(open_url(notification))
    assert response["Location"] == reverse("membership:notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_anonymous_visitor_is_sent_to_sign_in(client, member):
    notification = notification_send(recipient=member, kind="k", title="featured", url="/")
    response = client.get(open_url(notification))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    notification.refresh_from_db()
    assert notification.read_at is None

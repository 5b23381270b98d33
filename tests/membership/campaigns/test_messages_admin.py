"""The messages admin (membership/campaigns/admin_messages.py): staff create and edit a
message with English and Finnish texts, the form explains its errors (a missing text, a
language twice, an unknown placeholder), the preview shows the real email in each language
and the in-app notification, and suppressed addresses are listed, added and lifted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html, rich_text

from membership.campaigns.models import Campaign, EmailSuppression, MessageTemplate, MessageText
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = make_member("staffer", groups=["Staff"])
    client.force_login(user)
    return user


def text(language, subject, body, *, preheader="", button_label="", **extra):
    return {
        "language": language,
        "subject": subject,
        "preheader": preheader,
        "body": rich_text(body),
        "button_label": button_label,
        **extra,
    }


def form_data(texts, *, name="Spring offer", key="spring-offer", initial=0):
    return nested_form_data(
        {
            "name": name,
            "key": key,
            "button_url": "/rewards/",
            "button_label": "See your rewards",
            "texts": inline_formset(texts, initial=initial, min=1),
        }
    )


EN = text("en", "Spring is here, {name}", "<p>Hi {name}, use {coupon_code}.</p>", button_label="Shop")
FI = text(
    "fi", "Kevät on täällä, {name}", "<p>Hei {name}, käytä koodi {coupon_code}.</p>", button_label="Kauppaan"
)


def test_staff_create_a_message_with_two_languages(client, staff):
    response = client.post(reverse("campaign_messages:add"), form_data([EN, FI]))

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    message = MessageTemplate.objects.get(key="spring-offer")
    texts = {text.language: text for text in message.texts.all()}
    assert set(texts) == {"en", "fi"}
    assert texts["fi"].subject == "Kevät on täällä, {name}"
    assert "{coupon_code}" in texts["fi"].body
    assert texts["en"].button_label == "Shop"


def test_staff_edit_a_message_and_its_texts(client, staff):
    client.post(reverse("campaign_messages:add"), form_data([EN]))
    message = MessageTemplate.objects.get(key="spring-offer")
    en = message.texts.get()

    changed = text("en", "Still spring, {name}", "<p>Hello again {name}.</p>", id=en.pk)
    response = client.post(
        reverse("campaign_messages:edit", args=[message.pk]),
        form_data([changed, FI], name="Spring offer 2", initial=1),
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.name == "Spring offer 2"
    assert sorted(message.texts.values_list("language", "subject")) == [
        ("en", "Still spring, {name}"),
        ("fi", "Kevät on täällä, {name}"),
    ]


def errors_of(response):
    assert response.status_code == 200
    return response.content.decode()


def test_unknown_placeholder_is_a_field_error_naming_it(client, staff):
    bad = text("en", "Hello {first_name}", "<p>Your {coupon} and {name}</p>")
    response = client.post(reverse("campaign_messages:add"), form_data([bad]))

    page = errors_of(response)
    formset = response.context["form"].formsets["texts"]
    assert formset.forms[0].errors["subject"] == [
        "Unknown placeholder: {first_name}. The placeholders are listed above the texts."
    ]
    assert "{coupon}" in formset.forms[0].errors["body"][0]
    assert "Unknown placeholder: {first_name}" in page
    assert not MessageTemplate.objects.filter(key="spring-offer").exists()


def test_a_language_twice_is_a_clear_error_not_a_crash(client, staff):
    again = text("en", "Another English", "<p>Again</p>")
    response = client.post(reverse("campaign_messages:add"), form_data([EN, again]))

    page = errors_of(response)
    formset = response.context["form"].formsets["texts"]
    assert formset.forms[1].errors["language"] == [
        "This message already has a English text; edit that one instead."
    ]
    assert "Each language can have one text only." in page
    assert not MessageTemplate.objects.filter(key="spring-offer").exists()


def test_a_language_twice_on_edit_is_refused_too(client, staff):
    client.post(reverse("campaign_messages:add"), form_data([EN]))
    message = MessageTemplate.objects.get(key="spring-offer")
    en = message.texts.get()
    keep = {**EN, "id": en.pk}
    response = client.post(
        reverse("campaign_messages:edit", args=[message.pk]),
        form_data([keep, text("en", "Dup", "<p>Dup</p>")], initial=1),
    )
    assert "Each language can have one text only." in errors_of(response)
    assert message.texts.count() == 1


def test_two_texts_trading_languages_is_refused_clearly(client, staff):
    client.post(reverse("campaign_messages:add"), form_data([EN, FI]))
    message = MessageTemplate.objects.get(key="spring-offer")
    en = message.texts.get(language="en")
    fi = message.texts.get(language="fi")
    swapped = [{**EN, "id": en.pk, "language": "fi"}, {**FI, "id": fi.pk, "language": "en"}]

    response = client.post(
        reverse("campaign_messages:edit", args=[message.pk]), form_data(swapped, initial=2)
    )

    assert "Two texts cannot trade languages in one save." in errors_of(response)
    assert dict(message.texts.values_list("pk", "language")) == {en.pk: "en", fi.pk: "fi"}

    # Moving a text to a language nobody else holds is fine.
    moved = [{**EN, "id": en.pk, "DELETE": "1"}, {**FI, "id": fi.pk, "language": "en"}]
    response = client.post(reverse("campaign_messages:edit", args=[message.pk]), form_data(moved, initial=2))
    assert response.status_code == 302
    assert dict(message.texts.values_list("pk", "language")) == {fi.pk: "en"}


def test_at_least_one_text(client, staff):
    response = client.post(reverse("campaign_messages:add"), form_data([]))

    assert "Write the message in at least one language." in errors_of(response)
    assert not MessageTemplate.objects.filter(key="spring-offer").exists()


def test_deleting_the_last_text_is_refused(client, staff):
    client.post(reverse("campaign_messages:add"), form_data([EN]))
    message = MessageTemplate.objects.get(key="spring-offer")
    en = message.texts.get()
    response = client.post(
        reverse("campaign_messages:edit", args=[message.pk]),
        form_data([{**EN, "id": en.pk, "DELETE": "1"}], initial=1),
    )
    assert "Write the message in at least one language." in errors_of(response)
    assert message.texts.count() == 1


def test_the_form_lists_the_placeholders(client, staff):
    page = client.get(reverse("campaign_messages:add")).content.decode()
    for name in ("{name}", "{coupon_code}", "{coupon_expires}", "{points_needed}", "{links}"):
        assert f"<code>{name}</code>" in page
    assert "The code of the coupon the campaign gives." in page


def preview(client, url, data, mode):
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.json()["is_valid"] is True
    return client.get(url, {"mode": mode})


def test_preview_shows_the_real_email_in_each_language(client, staff):
    url = reverse("campaign_messages:preview_on_add")
    data = form_data([EN, FI])

    english = preview(client, url, data, "email-en")
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert "Spring is here, Aino Virtanen" in html  # the sample member
    assert "use WELCOME-7K3Q." in html  # a sample value
    assert 'class="button"' in html and "style=" in html  # the inlined email itself

    finnish = preview(client, url, data, "email-fi").content.decode()
    assert '<html lang="fi">' in finnish
    assert "Kevät on täällä, Aino Virtanen" in finnish
    assert "Sähköpostiasetukset" in finnish or "Email preferences" in finnish


def test_preview_of_an_existing_message_and_the_in_app_mode(client, staff):
    client.post(reverse("campaign_messages:add"), form_data([EN, FI]))
    message = MessageTemplate.objects.get(key="spring-offer")
    url = reverse("campaign_messages:preview_on_edit", args=[message.pk])
    data = form_data(
        [
            {**EN, "id": message.texts.get(language="en").pk},
            {**FI, "id": message.texts.get(language="fi").pk},
        ],
        initial=2,
    )

    app = preview(client, url, data, "app-fi").content.decode()
    assert 'class="notification__title"' in app
    assert "Kevät on täällä, Aino Virtanen" in app
    assert "Hei Aino Virtanen, käytä koodi WELCOME-7K3Q." in app


def test_preview_says_when_a_language_has_no_text(client, staff):
    url = reverse("campaign_messages:preview_on_add")
    page = preview(client, url, form_data([EN]), "email-fi").content.decode()
    assert "There is no Finnish text yet" in page or "suomenkielistä" in page
    assert "Spring is here, Aino Virtanen" in page


def test_a_shipped_message_opens_and_previews_in_finnish(client, staff):
    welcome = MessageTemplate.objects.get(key="welcome")
    edit = client.get(reverse("campaign_messages:edit", args=[welcome.pk]))
    assert edit.status_code == 200
    data = querydict_from_html(edit.content.decode(), form_id="w-editor-form")

    url = reverse("campaign_messages:preview_on_edit", args=[welcome.pk])
    finnish = preview(client, url, data, "email-fi").content.decode()
    assert "Tervetuloa, Aino Virtanen! Tässä pieni lahja" in finnish
    assert "Koodi: <b>WELCOME-7K3Q</b>" in finnish
    english = preview(client, url, data, "email-en").content.decode()
    assert "Welcome to Polku Outdoor, Aino Virtanen! Here is a gift" in english


def test_preview_modes_are_offered(client, staff):
    message = MessageTemplate.objects.create(name="M", key="m")
    assert [mode for mode, _label in message.preview_modes] == ["email-en", "email-fi", "app-en", "app-fi"]
    assert message.default_preview_mode == "email-en"


def test_list_shows_messages_with_their_languages(client, staff, django_assert_max_num_queries):
    for number in range(12):
        message = MessageTemplate.objects.create(name=f"Message {number:02}", key=f"m-{number}")
        MessageText.objects.create(message=message, language="en", subject="s", body="<p>b</p>")
        MessageText.objects.create(message=message, language="fi", subject="s", body="<p>b</p>")
    url = reverse("campaign_messages:list")
    client.get(url)  # warm the caches every admin page fills once

    with django_assert_max_num_queries(14):
        page = client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Message 11" in text and "English, Finnish" in text


def test_a_message_a_campaign_uses_cannot_be_deleted(client, staff):
    message = MessageTemplate.objects.create(name="Used", key="used")
    MessageText.objects.create(message=message, language="en", subject="s", body="<p>b</p>")
    Campaign.objects.create(name="Spring sale", message=message)

    response = client.post(reverse("campaign_messages:delete", args=[message.pk]), follow=True)

    assert response.status_code == 200
    assert MessageTemplate.objects.filter(pk=message.pk).exists()
    assert "Spring sale" in response.content.decode()


def test_only_staff_reach_the_messages(client):
    editor = make_member("editor", groups=["Editors"])
    client.force_login(editor)
    for url in (reverse("campaign_messages:list"), reverse("campaign_messages:add")):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "Spring" not in response.content.decode()
    response = client.post(reverse("campaign_messages:add"), form_data([EN]))
    assert response.status_code in (302, 403)
    assert not MessageTemplate.objects.filter(key="spring-offer").exists()


def test_the_campaigns_menu_has_the_entries(client, staff):
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("campaign_messages:list") in page
    assert reverse("campaign_suppressions:list") in page


# --- suppressed addresses ----------------------------------------------------------------


def test_staff_add_a_suppression_by_hand(client, staff):
    response = client.post(
        reverse("campaign_suppressions:add"), {"email": "  Someone@Example.COM ", "detail": "asked by phone"}
    )

    assert response.status_code == 302
    row = EmailSuppression.objects.get()
    assert (row.email, row.reason, row.detail) == ("someone@example.com", "manual", "asked by phone")

    again = client.post(reverse("campaign_suppressions:add"), {"email": "SOMEONE@example.com", "detail": ""})
    assert again.status_code == 200
    assert "This address is already suppressed." in again.content.decode()
    assert EmailSuppression.objects.count() == 1


def test_an_invalid_address_is_refused(client, staff):
    response = client.post(reverse("campaign_suppressions:add"), {"email": "not an address", "detail": ""})
    assert response.status_code == 200
    assert not EmailSuppression.objects.exists()


def test_staff_list_and_lift_suppressions(client, staff, django_assert_max_num_queries):
    for number in range(15):
        EmailSuppression.objects.create(email=f"b{number}@example.com", reason="bounced", detail="550")
    row = EmailSuppression.objects.get(email="b3@example.com")
    url = reverse("campaign_suppressions:list")
    client.get(url)

    with django_assert_max_num_queries(13):
        page = client.get(url)
    assert page.status_code == 200
    assert "b14@example.com" in page.content.decode()

    response = client.post(reverse("campaign_suppressions:delete", args=[row.pk]))
    assert response.status_code == 302
    assert not EmailSuppression.objects.filter(pk=row.pk).exists()


def test_suppressions_are_never_edited(client, staff):
    row = EmailSuppression.objects.create(email="x@example.com", reason="complained")
    response = client.post(
        reverse("campaign_suppressions:edit", args=[row.pk]), {"email": "y@example.com", "detail": ""}
    )
    assert response.status_code in (302, 403)
    row.refresh_from_db()
    assert row.email == "x@example.com"


def test_only_staff_reach_the_suppressions(client):
    client.force_login(make_member("moderator", groups=["Moderators"]))
    response = client.post(reverse("campaign_suppressions:add"), {"email": "z@example.com", "detail": ""})
    assert response.status_code in (302, 403)
    assert not EmailSuppression.objects.exists()

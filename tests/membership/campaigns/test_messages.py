"""Messages filled in for one member (membership/campaigns/messages.py): the language chosen,
placeholders replaced safely, links made absolute, and the plain-text part."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from membership.campaigns.messages import (
    PLACEHOLDERS,
    MessageHasNoText,
    html_to_text,
    links_parse,
    message_render,
    placeholders_unknown,
    url_absolute,
)
from membership.campaigns.models import MessageTemplate, MessageText
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def message():
    message = MessageTemplate.objects.create(
        name="Test offer", key="test-offer", button_url="/rewards/", button_label="See your rewards"
    )
    MessageText.objects.create(
        message=message,
        language="en",
        subject="A gift for you, {name}",
        preheader="Code {coupon_code}",
        body="<p>Hi {name},</p><p>Your code is <b>{coupon_code}</b>.</p><p>{links}</p>",
        button_label="Open",
    )
    MessageText.objects.create(
        message=message,
        language="fi",
        subject="Lahja sinulle, {name}",
        preheader="Koodi {coupon_code}",
        body="<p>Hei {name}!</p><p>Koodisi on <b>{coupon_code}</b>.</p>",
        button_label="Avaa",
    )
    return message


LINKS = json.dumps(
    [
        {"title": "Guide: waxing skis", "url": "/guides/waxing/"},
        {"title": "Forum & tips", "url": "https://forum.example/t/1"},
    ]
)


def test_english_member_gets_the_english_text_with_placeholders_filled(message):
    member = make_member("aino", display_name="Aino Virtanen")
    member.language = "en"

    rendered = message_render(
        message=message, member=member, context={"coupon_code": "WB-1234", "links": LINKS}
    )

    assert rendered.language == "en"
    assert rendered.subject == "A gift for you, Aino Virtanen"
    assert rendered.preheader == "Code WB-1234"
    assert "<p>Hi Aino Virtanen,</p>" in rendered.html
    assert "<b>WB-1234</b>" in rendered.html
    assert rendered.button_label == "Open"
    assert rendered.button_url == "http://testserver/rewards/"
    # {links} alone in its paragraph becomes the list itself, links absolute.
    assert "<p><ul" not in rendered.html
    assert '<a href="http://testserver/guides/waxing/">Guide: waxing skis</a>' in rendered.html
    assert '<a href="https://forum.example/t/1">Forum &amp; tips</a>' in rendered.html


def test_links_paragraph_written_by_the_editor_becomes_the_list():
    message = MessageTemplate.objects.create(name="Links", key="links")
    MessageText.objects.create(
        message=message,
        language="en",
        subject="s",
        body='<p data-block-key="a1b2c">Read:</p><p data-block-key="d3e4f">{links}</p>',
    )
    rendered = message_render(message=message, member=make_member("ville"), context={"links": LINKS})
    assert rendered.html.startswith('<p data-block-key="a1b2c">Read:</p><ul class="links"><li>')
    assert rendered.text == (
        "Read:\n\n- Guide: waxing skis (http://testserver/guides/waxing/)\n"
        "- Forum & tips (https://forum.example/t/1)"
    )


def test_finnish_member_gets_the_finnish_text(message):
    member = make_member("eero", display_name="Eero")
    member.language = "fi"

    rendered = message_render(message=message, member=member, context={"coupon_code": "X1"})

    assert rendered.language == "fi"
    assert rendered.subject == "Lahja sinulle, Eero"
    assert "Koodisi on <b>X1</b>" in rendered.html
    assert rendered.button_label == "Avaa"


def test_member_without_a_language_gets_the_site_language(message):
    member = make_member("ville")
    assert member.language == ""
    with override_settings(LANGUAGE_CODE="fi"):
        assert message_render(message=message, member=member, context={}).language == "fi"
    assert message_render(message=message, member=member, context={}).language == "en"


def test_language_without_a_text_falls_back_to_the_site_language_then_any(message):
    member = make_member("ville")
    member.language = "fi"
    message.texts.filter(language="fi").delete()
    # No Finnish text: the site's language (English).
    assert message_render(message=message, member=member, context={}).language == "en"
    # Only a Finnish text, site in English: the Finnish one rather than nothing.
    only_fi = MessageTemplate.objects.create(name="Only Finnish", key="only-fi")
    MessageText.objects.create(message=only_fi, language="fi", subject="Hei", body="<p>Moi</p>")
    member.language = "en"
    assert message_render(message=only_fi, member=member, context={}).language == "fi"


def test_explicit_language_wins_over_the_members(message):
    member = make_member("ville")
    member.language = "en"
    assert message_render(message=message, member=member, context={}, language="fi").language == "fi"


def test_a_message_without_texts_is_refused():
    empty = MessageTemplate.objects.create(name="Empty", key="empty")
    with pytest.raises(MessageHasNoText):
        message_render(message=empty, member=make_member("ville"), context={})


def test_values_are_escaped_in_the_html_and_plain_in_the_text(message):
    member = make_member("mallory", display_name="<script>alert(1)</script>")
    member.language = "en"

    rendered = message_render(
        message=message, member=member, context={"coupon_code": 'A"&<b>', "links": "[]"}
    )

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<b>A&quot;&amp;&lt;b&gt;</b>" in rendered.html
    # Plain where the text is plain: the subject and the text part.
    assert rendered.subject == "A gift for you, <script>alert(1)</script>"
    assert "Hi <script>alert(1)</script>," in rendered.text
    assert 'Your code is A"&<b>.' in rendered.text


def test_a_value_that_looks_like_a_placeholder_is_not_filled_again(message):
    member = make_member("tricky", display_name="{coupon_code}")
    member.language = "en"
    rendered = message_render(message=message, member=member, context={"coupon_code": "SECRET"})
    assert rendered.subject == "A gift for you, {coupon_code}"


def test_unknown_placeholders_are_left_alone_and_missing_known_ones_are_empty():
    message = MessageTemplate.objects.create(name="Odd", key="odd")
    MessageText.objects.create(
        message=message, language="en", subject="{points} {nope}", body="<p>{tier}.</p>"
    )
    rendered = message_render(message=message, member=make_member("ville"), context={})
    assert rendered.subject == "{nope}"
    assert rendered.html == "<p>.</p>"


def test_subject_stays_on_one_line_whatever_the_values():
    message = MessageTemplate.objects.create(name="Line", key="line")
    MessageText.objects.create(message=message, language="en", subject="About {product}", body="<p>x</p>")
    rendered = message_render(
        message=message, member=make_member("ville"), context={"product": "Jacket\r\nBcc: evil@example.com"}
    )
    assert rendered.subject == "About Jacket Bcc: evil@example.com"


def test_links_parse_drops_malformed_and_unsafe_links():
    raw = [
        {"title": "Ok", "url": "/guides/"},
        {"title": "Script", "url": "javascript:alert(1)"},
        {"title": "No url"},
        "not a dict",
        {"url": "https://example.com/x"},
    ]
    links = links_parse(json.dumps(raw))
    assert [(link.title, link.url) for link in links] == [
        ("Ok", "http://testserver/guides/"),
        ("https://example.com/x", "https://example.com/x"),
    ]
    assert links_parse("not json") == []
    assert links_parse(raw) == links


def test_url_absolute():
    assert url_absolute("/rewards/") == "http://testserver/rewards/"
    assert url_absolute("https://shop.example/a?b=c") == "https://shop.example/a?b=c"
    assert url_absolute("mailto:help@example.com") == "mailto:help@example.com"
    assert url_absolute("//evil.example/") == ""
    assert url_absolute("javascript:alert(1)") == ""
    assert url_absolute("") == ""


def test_rich_text_links_to_site_paths_become_absolute():
    message = MessageTemplate.objects.create(name="Rel", key="rel")
    MessageText.objects.create(
        message=message,
        language="en",
        subject="s",
        body='<p>Read <a href="/guides/boots/">the guide</a> or <a href="javascript:x()">this</a>.</p>',
    )
    rendered = message_render(message=message, member=make_member("ville"), context={})
    assert '<a href="http://testserver/guides/boots/">the guide</a>' in rendered.html
    assert "javascript" not in rendered.html
    assert "Read the guide (http://testserver/guides/boots/) or this." in rendered.text


def test_placeholders_unknown():
    assert placeholders_unknown("Hi {name}, {first_name} and {coupon} {name}") == ["first_name", "coupon"]
    assert placeholders_unknown("{ name } {Name} {} and {links}") == []
    assert set(PLACEHOLDERS) >= {"name", "points", "date", "coupon_code", "coupon_value", "coupon_expires"}
    assert set(PLACEHOLDERS) >= {"tier", "points_needed", "product", "event", "links"}


class TestHtmlToText:
    def test_paragraphs_are_apart_and_whitespace_collapsed(self):
        html = "<p>First   line\n of text.</p><p>Second<br>line two</p>"
        assert html_to_text(html) == "First line of text.\n\nSecond\nline two"

    def test_links_show_their_address(self):
        html = '<p>See <a href="https://x.example/a">the guide</a> and <a href="https://x.example/b">https://x.example/b</a>.</p>'
        assert html_to_text(html) == "See the guide (https://x.example/a) and https://x.example/b."

    def test_mailto_and_anchor_links(self):
        html = '<p><a href="mailto:help@x.example">help@x.example</a> <a href="#top">top</a></p>'
        assert html_to_text(html) == "help@x.example top"

    def test_lists(self):
        html = (
            "<p>Before</p><ul><li>One</li><li>Two <b>bold</b></li></ul>"
            "<ol><li>First</li><li>Second<ul><li>Nested</li></ul></li></ol><p>After</p>"
        )
        assert html_to_text(html) == (
            "Before\n\n- One\n- Two bold\n\n1. First\n2. Second\n  - Nested\n\nAfter"
        )

    def test_headings_entities_and_skipped_content(self):
        html = "<style>p{color:red}</style><h3>Title &amp; more</h3><p>caf&eacute; &lt;ok&gt;</p>"
        assert html_to_text(html) == "Title & more\n\ncafé <ok>"

    def test_inline_spacing_is_kept(self):
        assert html_to_text("<p>Hello <b>bold</b> <i>world</i>!</p>") == "Hello bold world!"

    def test_empty(self):
        assert html_to_text("") == ""
        assert html_to_text("<p> </p>") == ""

"""Message templates filled in for one member: the text in the member's language, the
placeholders replaced, the body as email-ready HTML and as readable plain text.

``message_render`` is the one way a campaign message becomes words: the sending worker, the
in-app notification and the editor's preview all call it. delivery.py wraps the result in the
email layout (templates/membership/campaigns/email.html).

Placeholders are ``{name}``-style words from ``PLACEHOLDERS``. Their values are member data
(display names) and campaign data (product titles), so they are escaped in the HTML and plain
in the text; a word in braces that is not a placeholder is left as written, and the admin
refuses to save one (``placeholders_unknown``)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise
from wagtail.rich_text import expand_db_html

from membership.languages import member_language
from membership.models import User

from . import delivery
from .models import Campaign, MessageTemplate, MessageText

PLACEHOLDER_PATTERN: Final = re.compile(r"\{([a-z][a-z0-9_]*)\}")

# name → what it stands for; shown to editors beside the message form (admin_messages.py).
PLACEHOLDERS: Final[dict[str, StrOrPromise]] = {
    "name": gettext_lazy("The member's display name (their username if they have none)."),
    "site": gettext_lazy("The store's name."),
    "points": gettext_lazy("A number of points: those about to expire, or the balance."),
    "date": gettext_lazy("A date: when the points expire, when the tier hold ends."),
    "coupon_code": gettext_lazy("The code of the coupon the campaign gives."),
    "coupon_value": gettext_lazy("What the coupon gives, e.g. “10 % off”."),
    "coupon_expires": gettext_lazy("The coupon's last valid day."),
    "tier": gettext_lazy("The member's tier (for a tier hold: the tier at stake)."),
    "points_needed": gettext_lazy("Points still needed to keep the tier."),
    "product": gettext_lazy("The product the message is about (review request)."),
    "event": gettext_lazy("The event the message is about (event follow-up)."),
    "links": gettext_lazy(
        "A list of links: guides and discussions of what they bought, an event's recording and recap."
    ),
}

# Filled from the member and the settings; every other placeholder comes from the context.
MEMBER_PLACEHOLDERS: Final = frozenset({"name", "site"})


class MessageHasNoText(ValueError):
    """The message has no text in any language (the admin refuses to save such a message)."""


@dataclass(frozen=True)
class RenderedMessage:
    """One message for one member. ``html`` is the body only (safe, escaped, absolute links);
    the email layout around it is delivery.py's."""

    subject: str
    preheader: str
    html: str
    text: str
    button_label: str
    button_url: str
    language: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def placeholders_in(text: str) -> list[str]:
    """The placeholder-shaped words in ``text``, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER_PATTERN.findall(text)))


def placeholders_unknown(text: str) -> list[str]:
    """The words in braces in ``text`` that are not placeholders (the editor mistyped them)."""
    return [name for name in placeholders_in(text) if name not in PLACEHOLDERS]


def message_text_choose(texts: Sequence[MessageText], language: str) -> MessageText | None:
    """The text in ``language``, else in the site's language, else the first one."""
    by_language = {text.language: text for text in texts}
    return by_language.get(language) or by_language.get(settings.LANGUAGE_CODE) or next(iter(texts), None)


def message_render(
    *,
    message: MessageTemplate,
    member: User,
    context: Mapping[str, object],
    language: str | None = None,
) -> RenderedMessage:
    """The message for ``member``: in ``language`` if given, else the member's language (the
    site's when they chose none); a language the message has no text in falls back to the
    site's language, then to any text. ``context`` holds the other placeholders' values
    (strings; ``links`` a JSON list of {"title", "url"} or that list itself)."""
    wanted = language or member_language(member)
    # all() rather than filter(): the editor's preview renders unsaved texts held in memory,
    # and the sender prefetches them.
    text = message_text_choose(list(message.texts.all()), wanted)
    if text is None:
        raise MessageHasNoText(f"Message {message.pk} ({message.key}) has no text.")
    values = placeholder_values(member=member, context=context)
    links = links_parse(context.get("links"))
    html = _links_absolute(_fill_html(_expanded(text.body), values, links))
    return RenderedMessage(
        subject=_fill_plain(text.subject, values, links),
        preheader=_fill_plain(text.preheader, values, links),
        html=html,
        text=html_to_text(html),
        button_label=_fill_plain(text.button_label or message.button_label, values, links),
        button_url=url_absolute(message.button_url),
        language=text.language,
    )


def placeholder_values(*, member: User, context: Mapping[str, object]) -> dict[str, str]:
    """Every placeholder's plain value; those the context lacks are empty."""
    values = dict.fromkeys(PLACEHOLDERS, "")
    for name, value in context.items():
        if name in PLACEHOLDERS and name != "links" and value is not None:
            values[name] = str(value)
    values["name"] = member.name
    values["site"] = settings.WAGTAIL_SITE_NAME
    return values


def links_parse(raw: object) -> list[Link]:
    """The links of the ``links`` placeholder; malformed entries and unsafe addresses are dropped."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            return []
    if not isinstance(raw, list):
        return []
    links = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        url = url_absolute(str(item.get("url") or ""))
        title = " ".join(str(item.get("title") or "").split()) or url
        if url:
            links.append(Link(title=title, url=url))
    return links


def url_absolute(url: str) -> str:
    """``url`` as an address that works from a mailbox: a path on this site gets the site's
    address in front; http(s) and mailto addresses stay; anything else (javascript:) is dropped."""
    url = url.strip()
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//"):
        return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
    if urlsplit(url).scheme.lower() in {"http", "https", "mailto"}:
        return url
    return ""


def _fill_plain(text: str, values: Mapping[str, str], links: Sequence[Link]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "links":
            return ", ".join(link.title for link in links)
        return values.get(name, match[0])

    # One line: subjects and preview lines are headers, where a newline is refused.
    return " ".join(PLACEHOLDER_PATTERN.sub(value, text).split())


def _links_html(links: Sequence[Link]) -> str:
    if not links:
        return ""
    items = "".join(f'<li><a href="{escape(link.url)}">{escape(link.title)}</a></li>' for link in links)
    return f'<ul class="links">{items}</ul>'


# Draftail writes paragraphs as <p data-block-key="…">.
_LINKS_PARAGRAPH: Final = re.compile(r"<p(?:\s[^>]*)?>\s*\{links\}\s*</p>")


def _fill_html(html: str, values: Mapping[str, str], links: Sequence[Link]) -> str:
    links_html = _links_html(links)
    # A list cannot sit inside a paragraph: a paragraph holding only {links} becomes the list.
    html = _LINKS_PARAGRAPH.sub(lambda _match: links_html, html)

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "links":
            return links_html
        if name in values:
            return escape(values[name])
        return match[0]

    # One pass: a value that itself looks like a placeholder ("{coupon_code}" as a display
    # name) is not filled in again.
    return PLACEHOLDER_PATTERN.sub(value, html)


def _links_absolute(html: str) -> str:
    """Links to pages of this site (rich text stores them as paths) made absolute."""
    if "href" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for anchor in soup.find_all("a"):
        href = anchor.get("href")
        if isinstance(href, str):
            absolute = url_absolute(href)
            if absolute:
                anchor["href"] = absolute
            else:
                del anchor["href"]
    return str(soup)


# Expanding rich text looks up every linked page; a campaign renders the same body for
# thousands of members, so each body is expanded once a minute at most per process.
_EXPANDED_TTL: Final = 60.0
_expanded_cache: dict[str, tuple[float, str]] = {}


def _expanded(body: str) -> str:
    now = time.monotonic()
    cached = _expanded_cache.get(body)
    if cached is not None and now - cached[0] < _EXPANDED_TTL:
        return cached[1]
    if len(_expanded_cache) > 64:
        _expanded_cache.clear()
    expanded = str(expand_db_html(body))
    _expanded_cache[body] = (now, expanded)
    return expanded


# --- HTML to plain text ------------------------------------------------------------------

_BLOCKS: Final = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "tr", "section", "pre"}
)
_SKIPPED: Final = frozenset({"script", "style", "head", "title"})


class _TextWriter(HTMLParser):
    """Readable plain text from an email body: paragraphs apart, list items as "- " (or
    "1. "), links as "text (url)"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.breaks = 0
        self.at_line_start = True
        self.skipping = 0
        self.lists: list[list[Any]] = []  # [tag, next number]
        self.links: list[tuple[str, int]] = []  # (href, index in parts where its text starts)

    def _break(self, count: int) -> None:
        self.breaks = max(self.breaks, count)

    def _write(self, text: str, *, keep_indent: bool = False) -> None:
        if not text:
            return
        if self.parts and self.breaks:
            self.parts.append("\n" * self.breaks)
            self.at_line_start = True
        self.breaks = 0
        if self.at_line_start and not keep_indent:
            text = text.lstrip()
            if not text:
                return
        self.parts.append(text)
        self.at_line_start = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self._break(2)
        elif tag == "br":
            self._break(1)
        elif tag in {"ul", "ol"}:
            self._break(1 if self.lists else 2)
            self.lists.append([tag, 1])
        elif tag == "li":
            self._break(1)
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                marker = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                marker = "- "
            self._write(indent + marker, keep_indent=True)
            # The marker's trailing space must survive the item's leading whitespace.
            self.at_line_start = True
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCKS:
            self._break(2)
        elif tag in {"ul", "ol"}:
            if self.lists:
                self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag == "li":
            self._break(1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and not href.startswith("#") and href.removeprefix("mailto:") != label:
                self._write(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = " ".join(data.split())
        if not text:
            if data and not self.at_line_start and not self.breaks:
                self._write(" ")
            return
        if data[:1].isspace() and not self.at_line_start and not self.breaks:
            text = " " + text
        if data[-1:].isspace():
            text += " "
        self._write(text)

    def text(self) -> str:
        lines = "".join(self.parts).split("\n")
        return "\n".join(line.rstrip() for line in lines).strip()


def html_to_text(html: str) -> str:
    """Plain text for an email's text part and for in-app notifications."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


# --- the editor's preview ----------------------------------------------------------------


def preview_modes() -> list[tuple[str, str]]:
    """The editor's preview modes: the email and the in-app notification, in each language."""
    modes: list[tuple[str, str]] = []
    for code, name in settings.LANGUAGES:
        modes.append((f"email-{code}", _("%(language)s email") % {"language": str(name)}))
    for code, name in settings.LANGUAGES:
        modes.append((f"app-{code}", _("%(language)s in-app") % {"language": str(name)}))
    return modes


def preview_sample_context(language: str, *, today: date | None = None) -> dict[str, str]:
    """Believable values for every placeholder, in ``language``."""
    today = today or timezone.localdate()
    with translation.override(language):
        return {
            "points": "250",
            "date": date_format(today + timedelta(days=30), "DATE_FORMAT"),
            "coupon_code": "WELCOME-7K3Q",
            "coupon_value": _("10 % off your next order"),
            "coupon_expires": date_format(today + timedelta(days=30), "DATE_FORMAT"),
            "tier": "Gold",
            "points_needed": "180",
            "product": _("Trail shell jacket"),
            "event": _("Ski waxing clinic"),
            "links": json.dumps(
                [
                    {"title": _("Guide: caring for your shell jacket"), "url": "/guides/"},
                    {"title": _("Forum: how does it fit?"), "url": "/forum/"},
                ]
            ),
        }


def preview_member(language: str) -> User:
    """An unsaved sample member: the preview must never reveal a real one's data."""
    return User(username="aino", display_name="Aino Virtanen", email="aino@example.com", language=language)


def _used_for_marketing(message: MessageTemplate) -> bool:
    if message.pk is None:
        return True
    purposes = set(message.campaigns.values_list("purpose", flat=True))
    return not purposes or Campaign.Purpose.MARKETING in purposes


def preview_context(message: MessageTemplate, request: HttpRequest, mode_name: str = "") -> dict[str, Any]:
    """The context of templates/membership/campaigns/message_preview.html: the real email
    (or in-app notification) for a sample member with sample placeholder values."""
    modes = dict(preview_modes())
    mode = mode_name or request.GET.get("mode", "")
    if mode not in modes:
        mode = f"email-{settings.LANGUAGE_CODE}"
    channel, language = mode.split("-", 1)
    member = preview_member(language)
    context: dict[str, Any] = {
        "mode": mode,
        "channel": channel,
        "mode_label": modes[mode],
        "language": language,
    }
    try:
        rendered = message_render(
            message=message, member=member, context=preview_sample_context(language), language=language
        )
    except MessageHasNoText:
        context["notice"] = _("Add a text to see the message.")
        return context
    if rendered.language != language:
        languages = dict(settings.LANGUAGES)
        context["notice"] = _(
            "There is no %(wanted)s text yet: members who chose %(wanted)s get the %(used)s one."
        ) % {
            "wanted": str(languages.get(language, language)),
            "used": str(languages.get(rendered.language, rendered.language)),
        }
    context["rendered"] = rendered
    if channel == "email":
        marketing = _used_for_marketing(message)
        context["marketing"] = marketing
        context["email_html"] = delivery.email_html(
            rendered=rendered,
            marketing=marketing,
            unsubscribe_url=delivery.PREVIEW_URL,
            preferences_url=delivery.PREVIEW_URL,
        )
    return context

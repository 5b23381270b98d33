"""A rendered campaign message as an email: the responsive layout around the body
(templates/membership/campaigns/email.html, its CSS inlined by css-inline), the plain-text part
(email.txt), and the headers mailbox providers ask of bulk senders.

Every campaign email names its Message-ID (``recipient_message_id``: the same recipient always
gets the same id, so a resend after a worker crash is recognisably the same message) and,
when it is marketing, carries a one-click unsubscribe (RFC 8058: ``List-Unsubscribe`` with the
https address and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``). The message goes out
through whatever Django email backend the store configured; the ``metadata`` and ``tags``
attributes are django-anymail's (a provider's webhook reports the recipient back by them),
and other backends ignore them."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Final

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from membership.models import User

from . import consent
from .models import Campaign, CampaignRecipient

if TYPE_CHECKING:
    # Only the type: messages.py imports this module for the editor's preview.
    from .messages import RenderedMessage

HTML_TEMPLATE: Final = "membership/campaigns/email.html"
TEXT_TEMPLATE: Final = "membership/campaigns/email.txt"
# The links of the preview's footer: the preview's sample member has no real address to change.
PREVIEW_URL: Final = "#"

# keep_at_rules: the phone layout's @media query stays in a <style> block (it cannot be
# inlined); every other rule moves into style attributes, which mail apps keep. No remote
# stylesheets: the layout links none, and a worker must never fetch one per email.
_INLINER: Final = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


class CampaignEmail(EmailMultiAlternatives):
    """An email with django-anymail's ``metadata`` and ``tags`` declared (anymail reads them
    from any EmailMessage; declared here so type checkers know them)."""

    metadata: dict[str, str]
    tags: list[str]


def _layout_context(
    *, rendered: RenderedMessage, marketing: bool, unsubscribe: str, preferences: str
) -> dict[str, object]:
    site = settings.WAGTAIL_SITE_NAME
    if marketing:
        why = _(
            "You get this email because you asked %(site)s for offers and news. You can choose "
            "what we send you, or unsubscribe, at any time."
        ) % {"site": site}
    else:
        why = _(
            "You get this email because it is about your %(site)s membership. You can turn "
            "these reminders off in your email preferences."
        ) % {"site": site}
    return {
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        # Safe: rich text the editor sanitised, with every placeholder value escaped
        # (messages._fill_html).
        "body": mark_safe(rendered.html),
        "text": rendered.text,
        "button_label": rendered.button_label,
        "button_url": rendered.button_url,
        "language": rendered.language,
        "site_name": site,
        "site_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/",
        "marketing": marketing,
        "why": why,
        "unsubscribe_url": unsubscribe,
        "preferences_url": preferences,
    }


def email_html(
    *, rendered: RenderedMessage, marketing: bool, unsubscribe_url: str, preferences_url: str
) -> str:
    """The HTML part: the layout in the message's language, CSS inlined."""
    context = _layout_context(
        rendered=rendered, marketing=marketing, unsubscribe=unsubscribe_url, preferences=preferences_url
    )
    with translation.override(rendered.language):
        html = render_to_string(HTML_TEMPLATE, context)
    return _INLINER.inline(html)


def email_text(
    *, rendered: RenderedMessage, marketing: bool, unsubscribe_url: str, preferences_url: str
) -> str:
    """The plain-text part, with the same links as the HTML."""
    context = _layout_context(
        rendered=rendered, marketing=marketing, unsubscribe=unsubscribe_url, preferences=preferences_url
    )
    with translation.override(rendered.language):
        return render_to_string(TEXT_TEMPLATE, context).strip() + "\n"


def email_build(
    *,
    rendered: RenderedMessage,
    member: User,
    marketing: bool,
    message_id: str,
    recipient_id: int | None = None,
    connection: BaseEmailBackend | None = None,
) -> CampaignEmail:
    """The email of ``rendered`` to ``member``, ready to send (the caller sends it, in a batch
    through one connection). Nothing here checks consent: the sender did (consent.py)."""
    unsubscribe = consent.unsubscribe_url(member)
    preferences = consent.preferences_url(member)
    headers = {"Message-ID": message_id}
    if marketing:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    html = email_html(
        rendered=rendered,
        marketing=marketing,
        unsubscribe_url=unsubscribe,
        preferences_url=preferences,
    )
    text = email_text(
        rendered=rendered,
        marketing=marketing,
        unsubscribe_url=unsubscribe,
        preferences_url=preferences,
    )
    message = CampaignEmail(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    message.tags = [Campaign.Purpose.MARKETING.value if marketing else Campaign.Purpose.SERVICE.value]
    if recipient_id is not None:
        message.metadata = {"kanta_recipient": str(recipient_id)}
    return message


def recipient_message_id(recipient: CampaignRecipient) -> str:
    """The recipient's Message-ID: the same on every attempt, unique per campaign and member."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<kanta-campaign-{recipient.campaign_id}-{recipient.pk}@{domain}>"

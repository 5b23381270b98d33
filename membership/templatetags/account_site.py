"""``{% site_name as site_name %}``: the site's name (``WAGTAIL_SITE_NAME``) for the account
pages and emails, which otherwise only know the host they were reached on."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return str(settings.WAGTAIL_SITE_NAME)

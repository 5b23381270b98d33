"""Members' Markdown, rendered once when it is written and sanitised twice over.

1. Python-Markdown runs with its raw-HTML handling removed, so ``<b>`` or ``<script>`` in
   the source is shown as text, never interpreted.
2. nh3 (ammonia) then keeps only an allow-list of tags and attributes. Links keep http(s)
   and mailto URLs only (``javascript:`` and ``data:`` lose their href) and get
   ``rel="nofollow ugc noopener"``; images are dropped, so a review cannot load a tracking
   pixel or another site's picture.
"""

from __future__ import annotations

import re

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
# A heading inside a review would break the page's outline: it becomes a bold paragraph.
HEADING = re.compile(r"<h[1-6]>(.*?)</h[1-6]>", re.DOTALL)


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        # The forum's @mention links: the only class any member's HTML may carry.
        allowed_classes={"a": {"mention"}},
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Safe HTML for ``source``; the same source always gives the same HTML."""
    # A fresh converter each time: Markdown instances keep state (references) between calls.
    html = HEADING.sub(r"<p><strong>\1</strong></p>", _markdown().convert(source))
    return sanitise_html(html).strip()

"""``{% fragment %}``: a part of a page every reader sees alike, rendered once per content version.

    {% load content_fragments %}
    {% fragment "guide-body" page.pk tags="content reviews" %}…{% endfragment %}
    {% fragment "home-guides" page.pk opens=featured_guides %}…{% endfragment %}

The first argument names the fragment (empty: rendered uncached, for a template shared
with a caller that cannot vouch it is the same for every reader), the others say what it
varies on (the page id; the language is always part of the key). ``tags`` are the
hub.versions tags of what it shows (a space-separated string or a list; ``content`` when
left out). ``opens`` (repeatable) names one page or lists of pages whose early-access labels
the fragment shows: it is rendered again when the first of them opens. ``until`` is a moment
(or None) from which the clock alone changes what it shows (an event going live): it is
rendered again from then. Lazy lists
(``SimpleLazyObject``, querysets) are only evaluated on a miss, so a cached fragment costs no
queries for them. Inside, ``{% fragment_since value %}`` writes a relative time ("5 minutes
ago") that stays right for every reader, and ``{% csrf_token %}`` a marker that becomes each
reader's own token. See content/fragments.py.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList
from django.utils import timezone

from content.fragments import (
    CSRF_MARKER,
    fragment_finish,
    fragment_get,
    fragment_key,
    fragment_set,
    since_marker,
    soonest_opening,
)
from hub.versions import CONTENT

register = template.Library()

_INSIDE = "_kanta_fragment"


class FragmentNode(template.Node):
    def __init__(
        self,
        nodelist: NodeList,
        name: FilterExpression,
        vary: list[FilterExpression],
        tags: FilterExpression | None,
        opens: list[FilterExpression],
        until: FilterExpression | None = None,
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.vary = vary
        self.tags = tags
        self.opens = opens
        self.until = until

    def render(self, context: template.Context) -> str:
        name = self.name.resolve(context)
        request = context.get("request")
        # Unnamed: a template shared by a cached and an uncached caller, this one uncached.
        # A preview shows a draft: it must neither read the live page's fragment nor leave
        # the draft where readers would get it.
        if not name or getattr(request, "is_preview", False):
            return self.nodelist.render(context)
        tags: Any = self.tags.resolve(context) if self.tags else CONTENT
        if isinstance(tags, str):
            tags = tags.split()
        key = fragment_key(
            request,
            str(name),
            [part.resolve(context) for part in self.vary],
            tags,
        )
        now = timezone.now()
        # Lazy: the token (and its cookie) is made only for a fragment that has a form.
        csrf = context.get("csrf_token") or ""
        cached = fragment_get(key, now=now, csrf=csrf)
        if cached is not None:
            return cached
        with context.push({_INSIDE: True, "csrf_token": CSRF_MARKER}):
            html = self.nodelist.render(context)
        pages = [page for expression in self.opens for page in _pages(expression.resolve(context))]
        moments = [soonest_opening(pages, now=now), self.until.resolve(context) if self.until else None]
        fragment_set(key, html, valid_until=min((m for m in moments if m is not None), default=None))
        return fragment_finish(html, now=now, csrf=csrf)


def _pages(value: Any) -> list[Any]:
    """``opens=`` takes one page or a list of them."""
    if not value:
        return []
    if hasattr(value, "early_access_until"):
        return [value]
    return list(value)


@register.tag("fragment")
def do_fragment(parser: template.base.Parser, token: template.base.Token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% fragment %} needs a name.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    vary: list[FilterExpression] = []
    tags: FilterExpression | None = None
    opens: list[FilterExpression] = []
    until: FilterExpression | None = None
    for bit in bits[2:]:
        key, sep, value = bit.partition("=")
        if sep and key == "tags":
            tags = parser.compile_filter(value)
        elif sep and key == "opens":
            opens.append(parser.compile_filter(value))
        elif sep and key == "until":
            until = parser.compile_filter(value)
        elif sep:
            raise template.TemplateSyntaxError(f"{{% fragment %}} has no option {key!r}.")
        else:
            vary.append(parser.compile_filter(bit))
    return FragmentNode(nodelist, parser.compile_filter(bits[1]), vary, tags, opens, until)


@register.simple_tag(takes_context=True)
def fragment_since(context: template.Context, value: Any) -> str:
    """A relative time; inside a fragment, filled in for each reader when it is sent."""
    if context.get(_INSIDE):
        return since_marker(value)
    from hub.templatetags.kanta_time import relative_time

    return relative_time(value)

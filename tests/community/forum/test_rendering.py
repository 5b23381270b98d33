"""Forum posts: whatever a member writes (Markdown, raw HTML, mentions, quotes) renders through
community.forum.services.posts.render_post to HTML that can never run script or load anything.

The reviews' corpus (tests/community/test_markup.py) plus the forum's own shapes: SVG and
MathML, entity and control-character tricks in URLs, quotes, and ``@mentions`` placed inside
links, code, attributes and next to markup (mentions are linked after sanitising, so they are
where a hole would be).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.forum.services.posts import render_post
from community.markup import ALLOWED_TAGS, LINK_REL, sanitise_html
from tests.community.test_markup import XSS as REVIEW_XSS
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FORUM_XSS = [
    # SVG and MathML namespaces
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<svg><use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/></svg>',
    # javascript: hidden by entities, whitespace and control characters
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#0000106;avascript:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](java&#x0A;script:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](javascript\x00:alert(1))",
    "[x](\u200bjavascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](\\x6Aavascript:alert(1))",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)\n\n[x]",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    # data: and other schemes
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](file:///etc/passwd)",
    "[x](blob:https://polku.example/1234)",
    # breaking out of attributes
    '[a](https://x.fi "t" onmouseover="alert(1)")',
    "[a](https://x.fi 't' onmouseover='alert(1)')",
    '[a](https://x.fi"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://a.fi)",
    '![x" onerror="alert(1)](https://a.fi/x.png)',
    # frames, objects, styles, meta
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<style>@import "https://evil.example/x.css";</style>',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%">x</p>',
    "<link rel=stylesheet href=//evil.example/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<div onmouseover="alert(1)">hover</div>',
    "<body onload=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<video><source onerror="alert(1)"></video>',
    # entities that decode to markup
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\<script>alert(1)\\</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    # mentions inside links, code, attributes and next to markup
    "[@eero](javascript:alert(1))",
    "[@eero](https://e.fi)",
    '[x](https://e.fi "a > @eero <img src=x onerror=alert(1)>")',
    '[x](https://e.fi "@eero")',
    '<a href="javascript:alert(1)">@eero</a>',
    "`@eero <script>alert(1)</script>`",
    "```\n@eero <img src=x onerror=alert(1)>\n```",
    "    @eero <svg onload=alert(1)>",
    "@eero<script>alert(1)</script>",
    '@eero"><img src=x onerror=alert(1)>',
    "@eero' onmouseover='alert(1)",
    "@eero.onerror=alert(1)",
    "@aino@eero @@eero @eero/../admin",
    "**@eero**_@aino_ <b>@eero</b>",
    # quotes of other posts
    "> [@eero wrote](javascript:alert(1)):\n> hi",
    '> [@eero wrote](/forum/p/1/ "x" onclick="alert(1)"):\n> hi',
    "> [@eero wrote](/forum/p/1/):\n> <script>alert(1)</script>\n\n@aino <img src=x onerror=alert(1)>",
]
CORPUS = REVIEW_XSS + FORUM_XSS

# The browser's view of a URL's scheme (WHATWG URL): leading and trailing C0 controls and
# spaces are stripped, tabs and newlines removed anywhere, then letters, digits, + - . and ":".
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


def scheme_of(url: str) -> str | None:
    url = re.sub(r"[\t\n\r]", "", url.strip(C0_AND_SPACE))
    match = SCHEME.match(url)
    return match.group(1).lower() if match else None


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def assert_forum_safe(html: str) -> None:
    """No script, no event handler, no javascript:/data: URL, only the allowed markup; links to
    other sites are marked user-generated; the only extra is the mention link's class."""
    assert "<script" not in html.lower(), html
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name in attrs:
            assert not name.lower().startswith("on"), (name, html)
            assert name in {"href", "title", "rel", "class"}, (name, html)
        if "class" in attrs:
            assert (tag, attrs["class"]) == ("a", "mention"), html
            assert re.fullmatch(r"/members/[A-Za-z0-9_.+-]+/", attrs["href"]), html
        if tag == "a" and "href" in attrs:
            # What the browser would run: only the web and mail, never javascript:, data: etc.
            assert scheme_of(attrs["href"]) in {None, "http", "https", "mailto"}, (attrs["href"], html)
            if attrs.get("class") != "mention":
                assert attrs.get("rel") == LINK_REL, html


@pytest.fixture
def members(db):
    return [make_member("eero"), make_member("aino")]


@pytest.mark.parametrize("payload", CORPUS)
def test_xss_payloads_are_neutralised(members, payload):
    html, _mentioned = render_post(payload)
    assert_forum_safe(html)
    for forbidden in ("<img", "<iframe", "<style", "<svg", "<math", "<object", "<embed", "<meta", "<base"):
        assert forbidden not in html.lower(), (forbidden, html)


def test_mentions_link_to_profiles_outside_links_code_and_attributes(members):
    html, mentioned = render_post(
        'Hi @eero! [@aino](https://e.fi) `@aino` [x](https://e.fi "@eero") @nobody @Eero.'
    )
    assert {m.username for m in mentioned} == {"eero", "aino"}
    assert html.count('<a class="mention" href="/members/eero/" rel="nofollow ugc noopener">@eero</a>') == 2
    assert "/members/aino/" not in html  # inside a link and inside code: left alone
    assert "<code>@aino</code>" in html
    assert 'title="@eero"' in html
    assert "@nobody" in html and "/members/nobody/" not in html
    # No link inside a link.
    depth = 0
    for part in re.findall(r"</?a\b", html):
        depth += 1 if part == "<a" else -1
        assert depth in (0, 1), html


def test_quote_of_another_post_renders_as_a_blockquote_with_its_link(members):
    html, _mentioned = render_post("> [@eero wrote](/forum/p/12/):\n> Ride W240.\n\nAgreed!")
    assert html.startswith("<blockquote>")
    assert f'<a href="/forum/p/12/" rel="{LINK_REL}">@eero wrote</a>' in html
    assert "<p>Agreed!</p>" in html


def test_sanitising_what_render_post_wrote_changes_nothing_without_mentions(members):
    for payload in CORPUS:
        html, _mentioned = render_post(payload)
        if 'class="mention"' not in html:
            assert sanitise_html(html) == html, payload


def test_sanitising_a_post_with_a_mention_changes_nothing(members):
    html, _mentioned = render_post("Thanks @eero!")
    assert 'class="mention"' in html
    assert sanitise_html(html) == html


FRAGMENTS = st.sampled_from(
    [
        *CORPUS,
        "@eero",
        "@aino",
        "@Eero.",
        "@nobody",
        "@",
        "> ",
        "> [@eero wrote](/forum/p/1/):\n",
        "[",
        "](",
        ")",
        '"',
        "'",
        "`",
        "```\n",
        "<",
        ">",
        "&",
        "&#",
        "&#x6A;",
        "javascript:",
        "data:",
        "on",
        "error=",
        "<a href=",
        "<svg",
        "<scr",
        "ipt>",
        "\n\n",
        "    ",
        "\t",
        "\x00",
        "*",
        "_",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=12).map("".join))
def test_any_post_renders_safe_and_stable(members, source):
    html, _mentioned = render_post(source)
    assert_forum_safe(html)
    assert render_post(source)[0] == html
    # Sanitising twice changes nothing; and without a mention link, the post is already clean.
    once = sanitise_html(html)
    assert sanitise_html(once) == once
    if 'class="mention"' not in html:
        assert once == html

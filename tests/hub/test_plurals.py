"""Counts read like language: every message that takes a count uses the plural forms.

The messages are found by scanning the code, so a new one cannot escape:

- templates: every ``{% blocktranslate count … %}`` (compiled with Django's own parser);
- Python: every ``ngettext``/``ngettext_lazy``/``npgettext``/``npgettext_lazy`` call with
  literal messages;
- JavaScript: every ``ngettext("…", "…", n)`` call.

Each is rendered with 0, 1 and 2 in English and must give the singular for 1 and the plural
otherwise, with the number in it. Then the other way round: no translatable message may put a
number right before a noun ("%(points)s points", "{{ n }} friends") without plural forms.
For Finnish, every plural message must be a plural entry (msgid_plural, both forms
translated) in locale/fi/LC_MESSAGES/django.po (djangojs.po for JavaScript).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, engines
from django.templatetags.i18n import BlockTranslateNode
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
CODE_DIRS = ("hub", "membership", "community", "content")
TEMPLATE_DIR = ROOT / "templates"
PLURAL_FUNCTIONS = {"ngettext": 0, "ngettext_lazy": 0, "npgettext": 1, "npgettext_lazy": 1}
SINGULAR_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}


@dataclass(frozen=True)
class PluralMessage:
    where: str
    singular: str
    plural: str
    context: str | None = None


# --- finding the messages -----------------------------------------------------------------


def _python_files() -> list[Path]:
    files = []
    for name in CODE_DIRS:
        for path in sorted((ROOT / name).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            files.append(path)
    return files


def _template_files() -> list[Path]:
    return sorted(
        path for path in TEMPLATE_DIR.rglob("*") if path.is_file() and path.suffix in {".html", ".txt"}
    )


def _js_files() -> list[Path]:
    files = []
    for name in CODE_DIRS:
        for path in sorted((ROOT / name).rglob("*.js")):
            if "vendor" in path.parts or path.name.endswith(".min.js"):
                continue
            files.append(path)
    return files


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _function_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _python_calls():
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield path, node


def python_plural_messages() -> list[PluralMessage]:
    found = []
    for path, call in _python_calls():
        offset = PLURAL_FUNCTIONS.get(_function_name(call))
        if offset is None or len(call.args) < offset + 2:
            continue
        singular, plural = _literal(call.args[offset]), _literal(call.args[offset + 1])
        if singular is None or plural is None:
            continue
        context = _literal(call.args[0]) if offset else None
        where = f"{path.relative_to(ROOT)}:{call.lineno}"
        found.append(PluralMessage(where, singular, plural, context))
    return found


def python_singular_messages() -> list[tuple[str, str]]:
    found = []
    for path, call in _python_calls():
        name = _function_name(call)
        if name not in SINGULAR_FUNCTIONS or not call.args:
            continue
        text = _literal(call.args[-1] if name.startswith("pgettext") else call.args[0])
        if text is not None:
            found.append((f"{path.relative_to(ROOT)}:{call.lineno}", text))
    return found


def _compiled_templates():
    engine = engines["django"]
    for path in _template_files():
        template = engine.from_string(path.read_text())
        yield path, template.template


def template_blocktranslate_nodes() -> list[tuple[str, BlockTranslateNode]]:
    found = []
    for path, template in _compiled_templates():
        for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
            found.append((str(path.relative_to(ROOT)), node))
    return found


def _msgid(node: BlockTranslateNode, tokens) -> str:
    return node.render_token_list(tokens)[0]


def template_plural_messages() -> list[tuple[PluralMessage, BlockTranslateNode]]:
    found = []
    for where, node in template_blocktranslate_nodes():
        if node.plural and node.countervar:
            context = node.message_context.resolve({}) if node.message_context else None
            message = PluralMessage(where, _msgid(node, node.singular), _msgid(node, node.plural), context)
            found.append((message, node))
    return found


JS_STRING = r'"((?:[^"\\]|\\.)*)"'
JS_NGETTEXT = re.compile(r"\bngettext\(\s*" + JS_STRING + r"\s*,\s*" + JS_STRING, re.S)
JS_GETTEXT = re.compile(r"(?<!\w)gettext\(\s*" + JS_STRING)


def js_plural_messages() -> list[PluralMessage]:
    found = []
    for path in _js_files():
        text = path.read_text()
        for match in JS_NGETTEXT.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            singular, plural = (bytes(group, "utf-8").decode("unicode_escape") for group in match.groups())
            found.append(PluralMessage(f"{path.relative_to(ROOT)}:{line}", singular, plural))
    return found


def js_singular_messages() -> list[tuple[str, str]]:
    found = []
    for path in _js_files():
        text = path.read_text()
        for match in JS_GETTEXT.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return found


# --- rendering them -------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _fill(message: str, n: int) -> str:
    """A message with every placeholder given ``n`` (the count is one of them)."""
    names = [name for name in PLACEHOLDER.findall(message) if name]
    if names:
        return message % dict.fromkeys(names, n)
    positional = len(PLACEHOLDER.findall(message))
    return message % ((n,) * positional) if positional else message


def _python_rendered(message: PluralMessage, n: int) -> str:
    if message.context is not None:
        chosen = translation.npgettext(message.context, message.singular, message.plural, n)
    else:
        chosen = translation.ngettext(message.singular, message.plural, n)
    return _fill(chosen, n)


class _Value:
    """Stands in for a template expression (``count=progress.needed``) with a fixed value."""

    def __init__(self, value):
        self.value = value

    def resolve(self, context, *args, **kwargs):
        return self.value


def _template_rendered(node: BlockTranslateNode, n: int) -> str:
    node = copy.copy(node)
    variables = set(node.render_token_list(node.singular)[1]) | set(node.render_token_list(node.plural)[1])
    node.counter = _Value(n)
    node.extra_context = {name: _Value("X") for name in variables if name != node.countervar}
    node.asvar = None
    context = Context({})
    with context.bind_template(engines["django"].engine.from_string("")):
        return node.render(context)


ALL_PLURALS = [pytest.param(message, id=message.where) for message in python_plural_messages()] + [
    pytest.param(message, id=message.where) for message in js_plural_messages()
]
TEMPLATE_PLURALS = [
    pytest.param(message, node, id=message.where) for message, node in template_plural_messages()
]


def _check_forms(
    message: PluralMessage, rendered: dict[int, str], expected: dict[int, str], show_count: bool
) -> None:
    for n in (0, 1, 2):
        assert rendered[n] == expected[n], f"{message.where}: with {n}, {rendered[n]!r} != {expected[n]!r}"
    for n in (0, 2):
        if show_count:
            assert str(n) in rendered[n], f"{message.where}: {rendered[n]!r} does not show the count {n}"


@pytest.mark.parametrize("message", ALL_PLURALS)
def test_every_code_plural_reads_right_with_0_1_and_2_in_english(message):
    with translation.override("en"):
        rendered = {n: _python_rendered(message, n) for n in (0, 1, 2)}
    expected = {n: _fill(message.singular if n == 1 else message.plural, n) for n in (0, 1, 2)}
    _check_forms(message, rendered, expected, bool(PLACEHOLDER.search(message.plural)))


@pytest.mark.parametrize(("message", "node"), TEMPLATE_PLURALS)
def test_every_template_plural_reads_right_with_0_1_and_2_in_english(message, node):
    variables = set(node.render_token_list(node.singular)[1]) | set(node.render_token_list(node.plural)[1])
    with translation.override("en"):
        rendered = {n: _template_rendered(node, n) for n in (0, 1, 2)}

    def expected(n: int) -> str:
        data = dict.fromkeys(variables, "X")
        data[node.countervar] = n
        return (message.singular if n == 1 else message.plural).replace("%%", "%") % data

    # A count that only picks the form may show a formatted figure instead ("1,234 members").
    shown = f"%({node.countervar})s" in message.plural
    _check_forms(message, rendered, {n: expected(n) for n in (0, 1, 2)}, shown)


def test_the_scan_finds_the_messages_it_should():
    """The scanners are not blind: known plural messages of each kind are among what they find."""
    python = {m.singular for m in python_plural_messages()}
    templates = {m.singular for m, _ in template_plural_messages()}
    js = {m.singular for m in js_plural_messages()}
    assert "%(count)s published review" in python  # community/reviews/badges.py
    assert "%(count)s minute ago" in python  # hub/templatetags/kanta_time.py
    assert "%(holders)s member" in templates  # templates/membership/badges.html
    assert "%(count)s minute ago" in js  # hub/static/hub/dates.js
    assert len(python) > 10 and len(templates) > 10


# --- no number meets a noun outside plural forms -------------------------------------------

# The nouns (singular or plural) that follow a number in this site's messages; a few words may
# stand between ("5 more points", "3 published reviews").
NOUNS = (
    "points?|pts|members?|reviews?|posts?|replies|reply|threads?|days?|weeks?|months?|years?|"
    "minutes?|hours?|seconds?|items?|questions?|answers?|friends?|orders?|votes?|people|persons?|"
    "messages?|photos?|events?|steps?|badges?|rewards?|results?|comments?|flags?|recipients?|"
    "customers?|purchases?|coupons?|times|reactions?|notifications?|emails?|levels?|characters?|"
    "attempts?|tries|places?|spots?|seats?|guests?|entries|entry|rows?|lines?|products?|pages?"
)
BETWEEN = (
    r"(?:(?:more|new|unread|other|status|active|published|spendable|extra|bonus|open|pending|free|earned)"
    r"\s+){0,2}"
)
# Placeholders that hold a name, not a number ("%(tier)s members" is "Gold members").
NAMES = {
    "tier",
    "needed",
    "name",
    "badge",
    "reward",
    "title",
    "level",
    "zone",
    "kind",
    "state",
    "who",
    "author",
    "product",
    "category",
    "site",
    "site_name",
    "username",
    "member",
    "thread",
    "event",
    "campaign",
    "segment",
    "rule",
    "label",
    "next",
    "current",
    "goal",
    "language",
}
NUMBER_NOUN = re.compile(
    r"%\((\w+)\)[sd]\s+" + BETWEEN + r"(" + NOUNS + r")\b|%[sd]\s+" + BETWEEN + r"(" + NOUNS + r")\b"
)

# Messages that put a number before a noun on purpose, with the reason. Keep this short.
_LIMIT = "a fixed limit above 1 (a setting or constant): always the plural form"
_PP = "percentage points of a decimal difference (1.5 points): the plural form reads right"
ALLOWED: dict[str, str] = {
    "Select at most %(max)s members; for more, build a segment.": _LIMIT,
    "Give between 1 and %(max)s points.": _LIMIT,
    "A coupon can be valid for 1 to %(max)s days.": _LIMIT,
    "Use at most %(count)s characters.": _LIMIT,
    "Send at most %(count)s items.": _LIMIT,
    "The signature's time t is more than %(minutes)s minutes from Kanta's clock.": _LIMIT,
    "A post can be at most %(limit)s characters long.": _LIMIT,
    "A title can be at most %(limit)s characters long.": _LIMIT,
    "A question is %(minimum)s to %(maximum)s characters; yours has %(count)s.": _LIMIT,
    "A chat message is %(minimum)s to %(maximum)s characters; yours has %(count)s.": _LIMIT,
    "No difference is shown while either group has fewer than %(members)s members counted or fewer than "
    "%(conversions)s purchases, or the campaign has no holdout: a figure then would look more certain "
    "than it is.": _LIMIT,
    "%(value)s points (95 %% CI %(low)s to %(high)s)": _PP,
    "up %(amount)s points from %(previous)s": _PP,
    "down %(amount)s points from %(previous)s": _PP,
    # An audit-log message formatted later from the logged data (Wagtail's LogFormatter).
    "@%(member)s muted for %(minutes)s minutes": "Wagtail log formatter: no count at declaration",
}


def _number_meets_noun(message: str) -> bool:
    for match in NUMBER_NOUN.finditer(message):
        name = match.group(1)
        if name is None or name not in NAMES:
            return True
    return False


def test_no_number_meets_a_noun_outside_plural_forms():
    offenders = []
    for where, text in python_singular_messages() + js_singular_messages():
        if _number_meets_noun(text) and text not in ALLOWED:
            offenders.append(f"{where}: {text!r}")
    for where, node in template_blocktranslate_nodes():
        if node.plural and node.countervar:
            continue
        text = _msgid(node, node.singular)
        if _number_meets_noun(text) and text not in ALLOWED:
            offenders.append(f"{where}: {text!r}")
    # "{{ n }} {% translate "points" %}": a count beside a separately translated noun.
    beside = re.compile(r"\{\{[^}]*\}\}\s*\{%\s*(?:translate|trans)\s+[\"'](?:" + NOUNS + r")[\"']")
    # "{{ n }} points" as bare text: neither translated nor plural.
    bare = re.compile(r"\{\{[^}]*\}\}[ \t]*(?:" + NOUNS + r")\b")
    blocks = re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S)
    for path in _template_files():
        text = path.read_text()
        for match in beside.finditer(text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
        for match in bare.finditer(blocks.sub("", text)):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert not offenders, (
        "A number meets a noun without plural forms (use ngettext / {% blocktranslate count %} / "
        "JS ngettext, or name the reason in ALLOWED):\n" + "\n".join(offenders)
    )


# --- Finnish: each plural message is a plural entry in the catalog --------------------------


PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _po_string(lines: list[str]) -> str:
    text = "".join(line.strip()[1:-1] for line in lines)
    return re.sub(r"\\(.)", lambda match: PO_ESCAPES.get(match.group(1), match.group(0)), text)


def read_po(path: Path) -> dict[tuple[str | None, str], dict]:
    """{(msgctxt, msgid): {"plural": msgid_plural or None, "msgstr": [forms], "fuzzy": bool}}.
    polib when it is installed, else a small reader of the parts this test needs."""
    try:
        import polib
    except ImportError:
        polib = None
    entries: dict[tuple[str | None, str], dict] = {}
    if polib is not None:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            forms = (
                [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
                if entry.msgid_plural
                else [entry.msgstr]
            )
            entries[(entry.msgctxt, entry.msgid)] = {
                "plural": entry.msgid_plural or None,
                "msgstr": forms,
                "fuzzy": "fuzzy" in entry.flags,
            }
        return entries
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        fields: dict[str, list[str]] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if line.startswith("#"):
                continue
            keyword = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
            if keyword:
                current = keyword.group(1)
                fields[current] = [keyword.group(2)]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        msgid = _po_string(fields["msgid"])
        context = _po_string(fields["msgctxt"]) if "msgctxt" in fields else None
        plural = _po_string(fields["msgid_plural"]) if "msgid_plural" in fields else None
        forms = [
            _po_string(fields[key])
            for key in sorted((k for k in fields if k.startswith("msgstr")), key=lambda k: (len(k), k))
        ]
        entries[(context, msgid)] = {"plural": plural, "msgstr": forms, "fuzzy": fuzzy}
    return entries


def _missing_finnish(messages: list[PluralMessage], catalog: Path) -> list[str]:
    entries = read_po(catalog)
    problems = []
    for message in messages:
        entry = entries.get((message.context, message.singular))
        if entry is None:
            problems.append(f"{message.where}: {message.singular!r} is not in {catalog.name}")
        elif entry["plural"] != message.plural:
            problems.append(f"{message.where}: {message.singular!r} has no msgid_plural {message.plural!r}")
        elif len(entry["msgstr"]) < 2 or not all(entry["msgstr"]) or entry["fuzzy"]:
            problems.append(f"{message.where}: {message.singular!r} lacks a (non-fuzzy) Finnish form")
    return problems


def test_every_plural_message_is_a_finnish_plural_entry():
    locale = ROOT / "locale" / "fi" / "LC_MESSAGES"
    server = python_plural_messages() + [message for message, _ in template_plural_messages()]
    problems = _missing_finnish(server, locale / "django.po") + _missing_finnish(
        js_plural_messages(), locale / "djangojs.po"
    )
    assert not problems, (
        "Plural messages missing from the Finnish catalogs; run `manage.py makemessages -l fi` and "
        "`makemessages -d djangojs -l fi`, translate both forms, then compilemessages:\n"
        + "\n".join(problems)
    )


def test_the_po_reader_reads_plural_entries(tmp_path):
    catalog = tmp_path / "django.po"
    catalog.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#: a.py:1\nmsgid "%(count)s step"\nmsgid_plural "%(count)s steps"\n'
        'msgstr[0] "%(count)s askel"\nmsgstr[1] "%(count)s askelta"\n\n'
        '#, fuzzy\nmsgctxt "badge progress unit"\nmsgid "%(count)s order"\nmsgid_plural "%(count)s orders"\n'
        'msgstr[0] "%(count)s tilaus"\nmsgstr[1] ""\n"%(count)s tilausta"\n',
        encoding="utf-8",
    )
    messages = [
        PluralMessage("a.py:1", "%(count)s step", "%(count)s steps"),
        PluralMessage("b.py:2", "%(count)s order", "%(count)s orders", "badge progress unit"),
        PluralMessage("c.py:3", "%(count)s day", "%(count)s days"),
    ]
    problems = _missing_finnish(messages, catalog)
    assert [problem.split(":")[0] for problem in problems] == ["b.py", "c.py"]
    assert read_po(catalog)[("badge progress unit", "%(count)s order")]["msgstr"][1] == "%(count)s tilausta"

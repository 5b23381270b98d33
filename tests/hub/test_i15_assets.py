"""Issue 15: stylesheets split by area, minified, hashed and cached for a year by WhiteNoise."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from hub.storage import minify

STATIC_LINK = re.compile(r"""\{%\s*static\s+['"]([^'"]+\.(?:css|js))['"]\s*%\}""")
AREA_SHEETS = ["kanta", "content", "profiles", "account", "reviews", "errors"]


def template_files() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    return [path for root in roots for path in root.rglob("*.html")]


def test_every_template_links_only_sheets_and_scripts_that_exist():
    linked = {}
    for path in template_files():
        for name in STATIC_LINK.findall(path.read_text()):
            linked.setdefault(name, path)
    missing = {name: str(path) for name, path in linked.items() if not finders.find(name)}
    assert missing == {}
    # Every area sheet is linked by at least one template (none left orphaned by the split).
    for sheet in AREA_SHEETS:
        assert f"hub/{sheet}.css" in linked


def test_area_sheets_are_linked_in_the_styles_block_after_the_base_sheet():
    base = (Path(settings.BASE_DIR) / "templates/base.html").read_text()
    styles = base.index("{% block styles %}")
    assert base.index("hub/kanta.css") < styles < base.index("{% block extra_head %}")
    for path in template_files():
        text = path.read_text()
        for sheet in AREA_SHEETS[1:]:
            if f"hub/{sheet}.css" in text:
                # Inside {% block styles %}, so the order after kanta.css (the cascade) holds.
                block = re.search(r"\{% block styles %\}(.*?)\{% endblock %\}", text, re.S)
                assert block and f"hub/{sheet}.css" in block.group(1), path


@pytest.mark.django_db
def test_a_page_links_its_area_sheet(client):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert html.index("hub/kanta.css") < html.index("hub/account.css")
    assert "hub/content.css" not in html


def test_minify_drops_comments_and_whitespace():
    css = "/* a comment */\n.card {\n  color: red;\n}\n"
    assert minify("x.css", css) == ".card{color:red}"
    js = "// why\nconst a = 1;\n\nexport function f() {\n  return a + 1;\n}\n"
    assert "why" not in minify("x.js", js)
    assert minify("x.svg", "<svg/>\n") == "<svg/>\n"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    ours = {"BACKEND": "hub.storage.MinifiedManifestStaticFilesStorage"}
    storages = {**settings.STORAGES, "staticfiles": ours}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root, storages


def hashed(root: Path, name: str) -> Path:
    stem, suffix = name.rsplit(".", 1)
    (path,) = root.glob(f"{stem}.[0-9a-f]*.{suffix}")
    return path


def test_collectstatic_minifies_and_hashes_our_css_and_js(collected):
    root, _ = collected
    for name in [f"hub/{sheet}.css" for sheet in AREA_SHEETS] + ["hub/site.js"]:
        source = Path(finders.find(name)).read_text()
        output = hashed(root, name)
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", output.name)
        text = output.read_text()
        assert len(text) < len(source) * 0.9, name
        assert "/*" not in text, name
        assert "\n\n" not in text, name
        # WhiteNoise's gzip sits beside it.
        assert output.with_name(output.name + ".gz").exists()


def test_minified_css_keeps_every_rule(collected):
    root, _ = collected
    source = Path(finders.find("hub/content.css")).read_text()
    output = hashed(root, "hub/content.css").read_text()
    assert output.count("{") == re.sub(r"/\*.*?\*/", "", source, flags=re.S).count("{")


def test_a_hashed_static_file_is_cached_for_a_year(collected):
    from whitenoise.middleware import WhiteNoiseMiddleware

    root, storages = collected
    served = {"WHITENOISE_USE_FINDERS": False, "WHITENOISE_AUTOREFRESH": False}
    with override_settings(STATIC_ROOT=root, STORAGES=storages, DEBUG=False, **served):
        middleware = WhiteNoiseMiddleware(lambda request: None)
        url = settings.STATIC_URL + str(hashed(root, "hub/kanta.css").relative_to(root))
        response = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
        assert max_age >= 31536000
        assert "immutable" in cache_control
        assert response["Content-Encoding"] == "gzip"
        # The plain name stays short-lived: it is what changes when the file does.
        plain = middleware(RequestFactory().get(settings.STATIC_URL + "hub/kanta.css"))
        assert "immutable" not in plain["Cache-Control"]


@pytest.mark.django_db
def test_pages_load_the_versioned_catalog_deferred_before_other_scripts(client):
    from hub.js_catalog import catalog_version

    html = client.get("/accounts/login/").content.decode()
    tag = re.search(r'<script defer src="(/jsi18n/en/\?v=([0-9a-f]{12}))"></script>', html)
    assert tag and tag.group(2) == catalog_version()
    assert html.index(tag.group(0)) < html.index("hub/dates.js") < html.index("hub/site.js")
    assert 'src="/jsi18n/"' not in html


@pytest.mark.django_db
def test_the_versioned_catalog_is_cached_for_a_year_per_language(client):
    from hub.js_catalog import catalog_url

    response = client.get(catalog_url("fi"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    # Finnish strings, whatever language the request would otherwise pick.
    assert response.content != client.get(catalog_url("en")).content
    stale = client.get("/jsi18n/fi/?v=000000000000")
    assert "immutable" not in stale["Cache-Control"]
    assert client.get("/jsi18n/xx/").status_code == 404

"""Content-Security-Policy and Permissions-Policy: the headers, the nonce, the admin's policy,
the modes per environment and the violation report endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings

from hub.security_headers import (
    ContentSecurityPolicyMiddleware,
    PermissionsPolicyMiddleware,
    permissions_policy_header,
)
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.factories import make_member
from tests.hub.test_settings import PRODUCTION_ENV, run

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"
CSP_REPORT_ONLY = "Content-Security-Policy-Report-Only"
# Script types a browser does not execute, so they need no nonce (JSON-LD, JSON data).
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def nonce_of(policy: dict[str, list[str]], directive: str) -> str | None:
    for source in policy.get(directive, []):
        if match := re.fullmatch(r"'nonce-([A-Za-z0-9+/=]+)'", source):
            return match.group(1)
    return None


def assert_inline_code_carries(html: str, nonce: str | None) -> None:
    """Every inline <script> that runs, and every <style>, carries this response's nonce."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        if script.get("src") or script.get("type") in DATA_SCRIPT_TYPES:
            continue
        assert nonce and script.get("nonce") == nonce, f"inline script without the nonce: {script}"
    for style in soup.find_all("style"):
        assert nonce and style.get("nonce") == nonce, f"<style> without the nonce: {style}"
    for tag in soup.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert not handlers, f"inline event handler {handlers} on {tag.name}"
        for attribute in ("href", "src", "action", "formaction"):
            value = str(tag.get(attribute) or "")
            assert not value.strip().lower().startswith("javascript:"), f"javascript: URL on {tag}"


@pytest.fixture
def thread_page(client):
    member = forum_member("kaisa")
    category = make_category()
    thread = start_thread(member, category)
    reply(member, thread)
    client.force_login(member)
    return thread.get_absolute_url()


def test_a_page_gets_the_strict_policy(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert CSP_REPORT_ONLY not in response
    policy = directives(response[CSP])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script on this page, so no nonce either
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["font-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["style-src"] == ["'self'", settings.KANTA_CSP_ERROR_PAGE_STYLE_HASH]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    # The page's own WebSocket origin, for browsers that do not match ws: with 'self'.
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    # Only the allowed players, each over https, with or without a subdomain.
    assert sorted(policy["frame-src"]) == sorted(
        [f"https://{host}" for host in settings.KANTA_EVENT_EMBED_HOSTS]
        + [f"https://*.{host}" for host in settings.KANTA_EVENT_EMBED_HOSTS]
    )
    assert "upgrade-insecure-requests" not in policy
    for sources in policy.values():
        assert "'unsafe-eval'" not in sources
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]


def test_a_secure_request_allows_wss_on_its_own_host(client):
    response = client.get("/accounts/login/", secure=True)
    assert directives(response[CSP])["connect-src"] == ["'self'", "wss://testserver"]


def test_nonce_differs_per_request_and_matches_the_inline_style(client, thread_page):
    nonces = []
    for _ in range(2):
        response = client.get(thread_page)
        assert response.status_code == 200
        html = response.content.decode()
        nonce = nonce_of(directives(response[CSP]), "style-src")
        assert nonce is not None
        assert f'<style nonce="{nonce}">' in html
        assert_inline_code_carries(html, nonce)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert len(base64.b64decode(nonces[0])) == 16


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/signup/", "/forum/", "/rewards/", "/leaderboard/", "/search/"],
)
def test_pages_have_no_inline_code_without_the_nonce(client, path):
    client.force_login(make_member("aino"))
    response = client.get(path, follow=True)
    assert response.status_code == 200
    header = response.get(CSP)
    assert header
    assert_inline_code_carries(response.content.decode(), nonce_of(directives(header), "script-src"))


def test_the_admin_gets_its_own_policy(client):
    staff = make_member("editor")
    staff.is_superuser = True
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response[CSP])
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    # Wagtail frames its own previews (X-Frame-Options SAMEORIGIN there).
    assert policy["frame-ancestors"] == ["'self'"]
    assert "'self'" in policy["frame-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert nonce_of(policy, "script-src") is None
    assert "'unsafe-eval'" not in policy["script-src"]


def test_permissions_policy_denies_what_the_hub_never_uses(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(member.split("=", 1) for member in header.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert features[feature] == "()"
    fullscreen = features["fullscreen"]
    assert fullscreen.startswith("(self ")
    assert '"https://*.youtube-nocookie.com"' in fullscreen
    assert '"http://' not in fullscreen


def test_a_wagtail_preview_render_leaves_the_headers_to_the_admin_request():
    # Wagtail runs the middleware again for the previewed page's own path on a dummy request;
    # the site's frame-ancestors 'none' there would stop the admin framing its preview.
    request = RequestFactory().get("/guides/best-studded-tyres/")
    request.is_dummy = True
    response = PermissionsPolicyMiddleware(ContentSecurityPolicyMiddleware(lambda _: HttpResponse("page")))(
        request
    )
    assert CSP not in response
    assert CSP_REPORT_ONLY not in response
    assert "Permissions-Policy" not in response


def test_permissions_policy_header_syntax():
    assert (
        permissions_policy_header({"camera": [], "fullscreen": ["self", "https://player.vimeo.com"]})
        == 'camera=(), fullscreen=(self "https://player.vimeo.com")'
    )


def _policy_for(template_context: dict, template: str) -> dict[str, list[str]]:
    middleware = ContentSecurityPolicyMiddleware(
        lambda request: HttpResponse(render_to_string(template, template_context, request=request))
    )
    response = middleware(RequestFactory().get("/events/live/"))
    return directives(response[CSP])


def test_an_hls_stream_widens_media_and_connect_for_its_page_only():
    event = SimpleNamespace(
        pk=1,
        title="Wax clinic",
        hero_image=None,
        stream={"kind": "hls", "url": "https://cdn.example.net/live/clinic.m3u8"},
    )
    policy = _policy_for({"event": event}, "content/includes/event_stream.html")
    assert policy["media-src"] == ["'self'", "blob:", "https:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "https:"]

    event.stream = {"kind": "iframe", "url": "https://www.youtube-nocookie.com/embed/abc"}
    policy = _policy_for({"event": event}, "content/includes/event_stream.html")
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]


def test_the_500_page_style_matches_its_hash():
    html = render_to_string("500.html")
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    # When this fails after an edit to templates/500.html, put this hash in base.py.
    assert f"'sha256-{digest}'" == settings.KANTA_CSP_ERROR_PAGE_STYLE_HASH
    assert_inline_code_carries(html.replace("<style>", "<style nonce='x'>"), "x")


def test_the_500_response_carries_the_policy(client):
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF="tests.hub.urls_failing"):
        response = client.get("/fail/")
    assert response.status_code == 500
    assert settings.KANTA_CSP_ERROR_PAGE_STYLE_HASH in directives(response[CSP])["style-src"]


@override_settings(
    CONTENT_SECURITY_POLICY=None,
    CONTENT_SECURITY_POLICY_REPORT_ONLY={
        "DIRECTIVES": {**settings.KANTA_CSP_DIRECTIVES, "report-uri": ["/csp-report/"]}
    },
)
def test_report_only_mode_sends_only_the_report_only_header(client, thread_page):
    response = client.get(thread_page)
    assert CSP not in response
    policy = directives(response[CSP_REPORT_ONLY])
    assert policy["report-uri"] == ["/csp-report/"]
    nonce = nonce_of(policy, "style-src")
    assert f'<style nonce="{nonce}">' in response.content.decode()
    admin = directives(client.get("/admin/login/")[CSP_REPORT_ONLY])
    assert admin["script-src"] == ["'self'", "'unsafe-inline'"]
    assert admin["report-uri"] == ["/csp-report/"]


def test_dev_reports_and_production_enforces(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'enforced': s.CONTENT_SECURITY_POLICY,"
        " 'report_only': s.CONTENT_SECURITY_POLICY_REPORT_ONLY,"
        " 'admin': s.KANTA_CSP_ADMIN_DIRECTIVES}, default=str))"
    )
    dev = run(["-c", script], {"DJANGO_SETTINGS_MODULE": "hub.settings.dev", "KANTA_VAR_DIR": str(tmp_path)})
    assert dev.returncode == 0, dev.stderr
    dev_modes = json.loads(dev.stdout.strip().splitlines()[-1])
    assert dev_modes["enforced"] is None
    assert dev_modes["report_only"]["DIRECTIVES"]["report-uri"] == ["/csp-report/"]

    production = run(["-c", script], {**PRODUCTION_ENV, "KANTA_VAR_DIR": str(tmp_path)})
    assert production.returncode == 0, production.stderr
    modes = json.loads(production.stdout.strip().splitlines()[-1])
    assert modes["report_only"] is None
    enforced = modes["enforced"]["DIRECTIVES"]
    assert enforced["upgrade-insecure-requests"] is True
    assert modes["admin"]["upgrade-insecure-requests"] is True
    assert enforced["script-src"] == ["'self'", "csp.constants.NONCE"]
    assert enforced["frame-ancestors"] == ["'none'"]


def test_csp_report_logs_a_violation(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "http://testserver/forum/",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
            "source-file": "http://testserver/forum/",
            "line-number": 12,
        }
    }
    with caplog.at_level(logging.WARNING, logger="kanta.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    logged = "script-src-elem blocked inline on http://testserver/forum/ (http://testserver/forum/:12)"
    assert logged in caplog.text


def test_csp_report_accepts_the_reporting_api_format(client, caplog):
    reports = [
        {
            "type": "csp-violation",
            "body": {"effectiveDirective": "img-src", "blockedURL": "https://x.example/a.png"},
        }
    ]
    with caplog.at_level(logging.WARNING, logger="kanta.csp"):
        response = client.post("/csp-report/", json.dumps(reports), content_type="application/reports+json")
    assert response.status_code == 204
    assert "img-src blocked https://x.example/a.png" in caplog.text


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [
        ("get", None, 405),
        ("post", "not json", 400),
        ("post", json.dumps({"something": "else"}), 400),
        ("post", json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}}), 413),
    ],
)
def test_csp_report_refuses_what_is_not_a_report(client, caplog, method, body, status):
    with caplog.at_level(logging.WARNING, logger="kanta.csp"):
        if method == "get":
            response = client.get("/csp-report/")
        else:
            response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == status
    assert response.json()["error"]
    assert "CSP violation" not in caplog.text

"""The shop API's signature: method, path, time and body are signed together, a signature
is good for five minutes either side of its time and only once, and the retired body-only
scheme is read only behind KANTA_API_LEGACY_SIGNATURES."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import types
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from membership.jobs import PERIODIC_JOBS
from membership.models import Order, Redemption, Reward, SeenSignature
from membership.services.points import points_grant
from membership.services.rewards import reward_redeem
from membership.services.signatures import seen_signatures_prune
from membership.signing import (
    ParsedSignature,
    legacy_signature,
    signature_check,
    signature_header,
    signature_parse,
)
from tests.conftest import run_in_threads
from tests.factories import make_member
from tests.membership.shop import make_product, order_payload, shop_signature

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture
def coupon(member):
    reward = Reward.objects.create(name="Free wax", kind=Reward.Kind.PRODUCT, product=make_product(), cost=50)
    points_grant(member=member, rule_key="review", idempotency_key="signature-test")
    return reward_redeem(member=member, reward_id=reward.pk)


def post(client, path: str, body: bytes, header: str | None):
    headers = {} if header is None else {"X-Kanta-Signature": header}
    return client.generic("POST", path, data=body, content_type="application/json", headers=headers)


def refused(response, reason: str) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["error"], body["reason"]) == ("unauthorized", reason), body
    assert body["message"]


def now() -> int:
    return int(time.time())


# --- What is signed -----------------------------------------------------------------------


def test_a_call_signed_now_for_its_method_path_and_body_is_accepted_once(client, member):
    body = json.dumps(order_payload()).encode()
    header = signature_header(method="POST", path=ORDERS, body=body)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert post(client, ORDERS, body, header).status_code == 201
    assert SeenSignature.objects.count() == 1
    refused(post(client, ORDERS, body, header), "replayed")
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("   ", "missing"),
        ("SIGNATURE", "malformed"),
        ("t=,v1=" + "0" * 64, "malformed"),
        ("t=soon,v1=" + "0" * 64, "malformed"),
        ("t=-5,v1=" + "0" * 64, "malformed"),
        ("v1=" + "0" * 64, "malformed"),
        ("t={now}", "malformed"),
        ("t={now},v1=abc", "malformed"),
        ("t={now},v1=" + "g" * 64, "malformed"),
        ("t={now},t={now},v1=" + "0" * 64, "malformed"),
        ("t={now}," + ",".join(["v1=" + "0" * 64] * 6), "malformed"),
        ("t={now},v1=ÄÄ" + "0" * 62, "malformed"),
        ("sha256=" + "0" * 64, "malformed"),  # the retired scheme, while it is off
        ("t={now},v1=" + "0" * 64, "bad_signature"),
        ("t={old},v1=" + "0" * 64, "expired"),
    ],
)
def test_refusals_say_why_and_store_nothing(client, member, header, reason):
    body = json.dumps(order_payload()).encode()
    if header is not None:
        header = header.replace("{now}", str(now())).replace("{old}", str(now() - 3600))
    refused(post(client, ORDERS, body, header), reason)
    assert not Order.objects.exists()
    assert not SeenSignature.objects.exists()


@pytest.mark.parametrize(
    ("sign_as", "why"),
    [
        ({"method": "PUT"}, "another method"),
        ({"path": "/api/v1/orders/?x=1"}, "another path (the query string is signed)"),
        ({"body": b"{}"}, "another body"),
        ({"secret": "another-secret-that-is-long-enough-1234"}, "another secret"),
    ],
)
def test_a_signature_of_anything_else_is_a_bad_signature(client, member, sign_as, why):
    body = json.dumps(order_payload()).encode()
    header = signature_header(**{"method": "POST", "path": ORDERS, "body": body, **sign_as})
    refused(post(client, ORDERS, body, header), "bad_signature")
    assert not Order.objects.exists(), why


def test_the_query_string_is_part_of_the_signed_path(client, coupon):
    path = f"/api/v1/coupons/{coupon.coupon_code}/?utm=shop"
    assert client.get(path, headers=shop_signature("GET", path)).status_code == 200
    without_query = shop_signature("GET", f"/api/v1/coupons/{coupon.coupon_code}/")
    refused(client.get(path, headers=without_query), "bad_signature")


def test_a_captured_body_signature_works_for_no_coupon(client, coupon):
    """The issue's attack: a signed ``{}`` body replayed on the coupon endpoints."""
    captured = signature_header(method="POST", path=ORDERS, body=b"{}")
    detail = f"/api/v1/coupons/{coupon.coupon_code}/"
    refused(client.get(detail, headers={"X-Kanta-Signature": captured}), "bad_signature")
    refused(post(client, detail + "use/", b"{}", captured), "bad_signature")
    refused(post(client, detail + "use/", b"{}", legacy_signature(b"{}")), "malformed")
    coupon.refresh_from_db()
    assert coupon.used_at is None


def test_the_hex_digest_may_be_upper_case(client, member):
    body = json.dumps(order_payload()).encode()
    header = signature_header(method="POST", path=ORDERS, body=body)
    t, v1 = header.split(",")
    assert post(client, ORDERS, body, f"{t}, {v1.upper().replace('V1=', 'v1=')}").status_code == 201


def test_an_empty_secret_refuses_everything(client, member, settings):
    settings.KANTA_WEBHOOK_SECRET = ""
    body = json.dumps(order_payload()).encode()
    refused(
        post(client, ORDERS, body, signature_header(method="POST", path=ORDERS, body=body)), "bad_signature"
    )


# --- Time ---------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-290, 290])
def test_clock_skew_within_five_minutes_either_way_is_accepted(client, member, offset):
    body = json.dumps(order_payload()).encode()
    header = signature_header(method="POST", path=ORDERS, body=body, timestamp=now() + offset)
    assert post(client, ORDERS, body, header).status_code == 201


@pytest.mark.parametrize("offset", [-310, 310, -86_400])
def test_a_signature_more_than_five_minutes_off_is_expired(client, member, offset):
    body = json.dumps(order_payload()).encode()
    header = signature_header(method="POST", path=ORDERS, body=body, timestamp=now() + offset)
    refused(post(client, ORDERS, body, header), "expired")
    assert not Order.objects.exists()


def test_the_window_is_exactly_300_seconds():
    body = b"{}"
    t = 1_700_000_000
    digest = signature_header(method="POST", path=ORDERS, body=body, timestamp=t).split("v1=")[1]
    parsed = ParsedSignature(t, (digest,))
    for moment in (t - 300, t, t + 300):
        signature_check(parsed=parsed, method="POST", path=ORDERS, body=body, now=moment)
    for moment in (t - 301, t + 301):
        with pytest.raises(Exception, match="minutes"):
            signature_check(parsed=parsed, method="POST", path=ORDERS, body=body, now=moment)


# --- Replays ------------------------------------------------------------------------------


def test_a_coupon_signature_is_used_once_even_for_a_get(client, coupon):
    path = f"/api/v1/coupons/{coupon.coupon_code}/"
    headers = shop_signature("GET", path)
    assert client.get(path, headers=headers).status_code == 200
    refused(client.get(path, headers=headers), "replayed")


def test_a_replay_is_refused_by_the_database_not_the_cache(coupon):
    path = f"/api/v1/coupons/{coupon.coupon_code}/use/"
    headers = shop_signature("POST", path)
    assert Client().generic("POST", path, headers=headers).status_code == 200
    cache.clear()  # as after a Redis outage or in another process: only the table remembers
    refused(Client().generic("POST", path, headers=headers), "replayed")
    assert Redemption.objects.get().used_at is not None


def test_rotation_several_v1_values_one_matching_is_enough(client, member):
    body = json.dumps(order_payload()).encode()
    t = now()
    old = signature_header(
        method="POST", path=ORDERS, body=body, timestamp=t, secret="old-secret-" + "x" * 32
    )
    new = signature_header(method="POST", path=ORDERS, body=body, timestamp=t)
    header = f"t={t},v1={old.split('v1=')[1]},v1={new.split('v1=')[1]}"
    assert post(client, ORDERS, body, header).status_code == 201
    # The same message under the other list of signatures is the same call: a replay.
    refused(post(client, ORDERS, body, new), "replayed")


def test_seen_signatures_are_pruned_once_their_window_is_over(client, member):
    body = json.dumps(order_payload()).encode()
    assert (
        post(client, ORDERS, body, signature_header(method="POST", path=ORDERS, body=body)).status_code == 201
    )
    (seen,) = SeenSignature.objects.all()
    assert timedelta(minutes=4) < seen.expires_at - timezone.now() <= timedelta(minutes=5)
    assert seen_signatures_prune(now=seen.expires_at - timedelta(seconds=1)) == 0
    assert seen_signatures_prune(now=seen.expires_at + timedelta(seconds=1)) == 1
    assert "prune seen API signatures" in {job.name for job in PERIODIC_JOBS}


@pytest.mark.django_db(transaction=True)
def test_two_copies_racing_get_one_acceptance(migrated_rows):
    member = make_member("racer")
    points_grant(member=member, rule_key="review", idempotency_key="race-signature")
    reward = Reward.objects.create(name="Free shipping", kind=Reward.Kind.SHIPPING, cost=50)
    path = f"/api/v1/coupons/{reward_redeem(member=member, reward_id=reward.pk).coupon_code}/"
    headers = shop_signature("GET", path)
    results, errors = run_in_threads(4, lambda _n: Client().get(path, headers=headers))
    assert errors == []
    assert sorted(r.status_code for r in results) == [200, 401, 401, 401]
    assert {r.json().get("reason") for r in results if r.status_code == 401} == {"replayed"}


# --- The retired scheme -------------------------------------------------------------------


def test_the_legacy_scheme_works_only_behind_its_setting_with_a_warning(client, coupon, settings, caplog):
    path = f"/api/v1/coupons/{coupon.coupon_code}/"
    legacy = {"X-Kanta-Signature": legacy_signature(path.encode())}
    refused(client.get(path, headers=legacy), "malformed")
    settings.KANTA_API_LEGACY_SIGNATURES = True
    with caplog.at_level(logging.WARNING, logger="membership.services.signatures"):
        assert client.get(path, headers=legacy).status_code == 200
    assert any("KANTA_API_LEGACY_SIGNATURES" in record.getMessage() for record in caplog.records)
    wrong = {"X-Kanta-Signature": legacy_signature(b"/api/v1/coupons/POLKU-AAAA-BBBB/")}
    refused(client.get(path, headers=wrong), "bad_signature")
    # The new scheme keeps working beside it, replay refusal included.
    headers = shop_signature("GET", path)
    assert client.get(path, headers=headers).status_code == 200
    refused(client.get(path, headers=headers), "replayed")


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("true", "True"), ("0", "False")])
def test_the_legacy_setting_is_read_from_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "KANTA_API_LEGACY_SIGNATURES"}
    env["DJANGO_SETTINGS_MODULE"] = "hub.settings.test"
    if value is not None:
        env["KANTA_API_LEGACY_SIGNATURES"] = value
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.KANTA_API_LEGACY_SIGNATURES)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=DOCS.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == expected


# --- The contract: schema and docs --------------------------------------------------------


def test_openapi_documents_the_signature_header(client):
    schema = client.get("/api/v1/openapi.json").json()
    (scheme,) = schema["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Kanta-Signature")
    for words in ("t=<unix seconds>,v1=<hex HMAC-SHA256>", "<t>.<METHOD>.<path>.<raw body>", "5 minutes"):
        assert words in scheme["description"]
    assert "member" not in schema["components"]["schemas"]["CouponOut"]["properties"]


def _docs_block(language: str, after: str) -> str:
    text = DOCS.read_text()
    return re.search(rf"{re.escape(after)}.*?```{language}\n(.*?)```", text, re.S).group(1)


@pytest.mark.skipif(not shutil.which("openssl") or not shutil.which("bash"), reason="needs openssl and bash")
def test_the_curl_and_openssl_example_in_the_docs_signs_correctly():
    script = _docs_block("sh", "### curl and openssl")
    # curl prints what it would send instead of sending it.
    fake_curl = 'curl() { for arg in "$@"; do printf "%s\\n" "$arg"; done; printf "%s\\n" "--END--"; }\n'
    result = subprocess.run(
        [shutil.which("bash"), "-c", fake_curl + script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    calls = [call.strip().splitlines() for call in result.stdout.split("--END--") if call.strip()]
    assert len(calls) >= 2
    for args in calls:
        method = args[args.index("-X") + 1] if "-X" in args else "GET"
        url = next(arg for arg in args if arg.startswith("http"))
        path = "/" + url.split("/", 3)[3]
        body = args[args.index("--data-binary") + 1].encode() if "--data-binary" in args else b""
        header = next(arg for arg in args if arg.startswith("X-Kanta-Signature: "))
        parsed = signature_parse(header.removeprefix("X-Kanta-Signature: "))
        signature_check(parsed=parsed, method=method, path=path, body=body, now=time.time())


def test_the_python_example_in_the_docs_signs_correctly(monkeypatch):
    sent: list[tuple[str, str, bytes, dict]] = []

    def fake(method):
        return lambda url, data=b"", headers=None: sent.append((method, url, data or b"", headers or {}))

    requests = types.SimpleNamespace(post=fake("POST"), get=fake("GET"))
    monkeypatch.setitem(sys.modules, "requests", requests)
    exec(_docs_block("python", "### Python"), {})  # noqa: S102 (the docs' own example)
    assert {method for method, *_rest in sent} == {"POST", "GET"}
    for method, url, body, headers in sent:
        path = "/" + url.split("/", 3)[3]
        parsed = signature_parse(headers["X-Kanta-Signature"])
        signature_check(parsed=parsed, method=method, path=path, body=body, now=time.time())

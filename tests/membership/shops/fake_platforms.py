"""An HTTP-level fake of Shopify's Admin GraphQL API and WooCommerce's REST API, for the calls
Kanta makes (coupons): a real server on 127.0.0.1 that checks credentials the way each
platform does and answers with the recorded responses in fixtures/coupons/ (README there),
keeping the discounts it has, so duplicates, lookups and deletes behave as the shop's do.

``faults`` scripts what goes wrong, one entry per coming request: an HTTP status (answered
with an empty JSON object), "throttled" (Shopify's throttled answer), "drop" (the connection
closes unanswered), "lost" (the shop does the work, then the answer is lost) or "hold" (the
shop does the work and holds the answer until ``release`` is set; ``arrived`` is set when
such a request is in).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

RECORDED = Path(__file__).parent / "fixtures" / "coupons"
SHOPIFY_TOKEN = "shpat_fake_token_0123456789"
WOO_KEY = "ck_fake_key_0123456789"
WOO_SECRET = "cs_fake_secret_0123456789"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


class FakePlatforms:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.faults: list[str | int] = []
        self.shopify_discounts: dict[str, dict[str, Any]] = {}  # code → the input, with its id
        self.shopify_variants = {"WAX-GLIDE-60": "gid://shopify/ProductVariant/43729076"}
        self.woo_coupons: dict[int, dict[str, Any]] = {}
        self.woo_products = {"WAX-GLIDE-60": 93}
        self._ids = iter(range(1057371300, 10**12))
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakePlatforms:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_fault(self) -> str | int | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    # --- Shopify ----------------------------------------------------------------------------

    def shopify(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        if headers.get("x-shopify-access-token") != SHOPIFY_TOKEN:
            return 401, recorded("shopify_invalid_token.json")
        query, variables = body.get("query", ""), body.get("variables") or {}
        field = re.search(r"\{\s*(\w+)\(", query)
        name = field.group(1) if field else ""
        if name in {"discountCodeBasicCreate", "discountCodeFreeShippingCreate"}:
            discount = variables["discount"]
            if discount["code"].upper() in self.shopify_discounts:
                answer = recorded("shopify_discount_code_taken.json")
                answer["data"] = {name: answer["data"]["discountCodeBasicCreate"]}
                return 200, answer
            gid = f"gid://shopify/DiscountCodeNode/{next(self._ids)}"
            self.shopify_discounts[discount["code"].upper()] = {**discount, "id": gid, "kind": name}
            answer = recorded("shopify_discount_code_basic_create.json")
            answer["data"] = {name: {"codeDiscountNode": {"id": gid}, "userErrors": []}}
            return 200, answer
        if name == "codeDiscountNodeByCode":
            found = self.shopify_discounts.get(variables["code"].upper())
            answer = recorded("shopify_code_discount_node_by_code.json")
            answer["data"]["codeDiscountNodeByCode"] = {"id": found["id"]} if found else None
            return 200, answer
        if name == "productVariants":
            sku = re.search(r'sku:"([^"]+)"', variables["query"])
            variant = self.shopify_variants.get(sku.group(1) if sku else "")
            answer = recorded("shopify_code_discount_node_by_code.json")
            answer["data"] = {"productVariants": {"nodes": [{"id": variant}] if variant else []}}
            return 200, answer
        if name == "discountCodeDelete":
            code = next((c for c, d in self.shopify_discounts.items() if d["id"] == variables["id"]), None)
            answer = recorded("shopify_discount_code_delete.json")
            if code is None:
                answer["data"]["discountCodeDelete"] = {
                    "deletedCodeDiscountId": None,
                    "userErrors": [{"field": ["id"], "code": None, "message": "Discount does not exist"}],
                }
            else:
                del self.shopify_discounts[code]
                answer["data"]["discountCodeDelete"]["deletedCodeDiscountId"] = variables["id"]
            return 200, answer
        return 200, {"errors": [{"message": f"Field '{name}' doesn't exist on type 'Mutation'"}]}

    # --- WooCommerce -----------------------------------------------------------------------

    def woocommerce(
        self, method: str, path: str, query: dict[str, list[str]], headers, body
    ) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, recorded("woocommerce_cannot_create.json")
        if path == "/products" and method == "GET":
            product = self.woo_products.get(query.get("sku", [""])[0])
            return 200, ([{"id": product, "sku": query["sku"][0]}] if product else [])
        if path == "/coupons" and method == "GET":
            code = query.get("code", [""])[0].lower()
            return 200, [c for c in self.woo_coupons.values() if c["code"] == code]
        if path == "/coupons" and method == "POST":
            # WooCommerce stores codes in lower case (wc_format_coupon_code).
            code = body["code"].lower()
            if any(c["code"] == code for c in self.woo_coupons.values()):
                return 400, recorded("woocommerce_coupon_exists.json")
            coupon = recorded("woocommerce_coupon_created.json")
            coupon.update(copy.deepcopy(body), id=next(self._ids), code=code)
            self.woo_coupons[coupon["id"]] = coupon
            return 201, coupon
        match = re.fullmatch(r"/coupons/(\d+)", path)
        if match and method == "DELETE":
            coupon = self.woo_coupons.pop(int(match.group(1)), None)
            if coupon is None:
                return 404, {
                    "code": "woocommerce_rest_shop_coupon_invalid_id",
                    "message": "Invalid ID.",
                    "data": {"status": 404},
                }
            return 200, coupon
        return 404, {
            "code": "rest_no_route",
            "message": "No route was found matching the URL and request method.",
            "data": {"status": 404},
        }


def _handler(fake: FakePlatforms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with fake.lock:
                fake.requests.append(
                    {"method": self.command, "path": url.path, "query": url.query, "body": body}
                )
            fault = fake.next_fault()
            if fault == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if isinstance(fault, int):
                return self._answer(fault, {})
            if fault == "throttled":
                return self._answer(200, recorded("shopify_throttled.json"))
            with fake.lock:
                if url.path.endswith("/graphql.json"):
                    status, answer = fake.shopify(headers, body)
                elif "/wp-json/wc/v3" in url.path:
                    path = url.path.split("/wp-json/wc/v3", 1)[1]
                    status, answer = fake.woocommerce(self.command, path, parse_qs(url.query), headers, body)
                else:
                    status, answer = 404, {}
            if fault == "hold":
                fake.arrived.set()
                fake.release.wait(timeout=60)
            if fault in {"lost", "hold"}:
                self.close_connection = True
                self.connection.close()
                return
            self._answer(status, answer)

        def _answer(self, status: int, answer: Any) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

    return Handler


@pytest.fixture
def fake_platforms(settings) -> Iterator[FakePlatforms]:
    fake = FakePlatforms().start()
    settings.KANTA_SHOPIFY_API_URL = fake.origin + "/{shop}/admin/api/{version}/graphql.json"
    yield fake
    fake.stop()

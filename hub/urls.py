"""The root URLconf: health, CSP reports, robots.txt and the sitemap (Wagtail's pages plus
each app's ``sitemaps.py``), translations, the admin (with the retention pages ahead of it),
documents, accounts, the two APIs, then each app's URLs and Wagtail's page tree. Apps are
included by name, so the hub imports none of them."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap as PageSitemap
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from hub import page_routing
from hub.apps_modules import app_submodules
from hub.health import healthz
from hub.js_catalog import javascript_catalog
from hub.security_headers import csp_report

# /sitemap.xml: Wagtail's pages, then what each app adds in its ``sitemaps.py`` (SITEMAPS).
SITEMAPS = {"pages": PageSitemap}
for _label, _module in app_submodules("sitemaps"):
    SITEMAPS.update(getattr(_module, "SITEMAPS", {}))

# allauth answers its rate limits through this (429 with the page and when to try again).
handler429 = "membership.views.too_many_requests"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("csp-report/", csp_report, name="csp_report"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots_txt",
    ),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The versioned catalog pages link (hub/js_catalog.py): cached for a year.
    path("jsi18n/<str:language>/", javascript_catalog, name="javascript-catalog-language"),
    # Ahead of the admin: these answer a signed-in non-staff person 403 (membership/insight/urls.py).
    path("admin/retention/", include("membership.insight.urls")),
    path("admin/campaigns/", include("membership.campaigns.admin_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # allauth's sign-in, answering 429 when a limit refuses (membership/account_urls.py).
    path("accounts/", include("membership.account_urls")),
    path("accounts/", include("allauth.urls")),
    # The headless content API (content/api.py).
    path("api/v2/", include("content.api")),
    # The shop's signed API (orders webhook, coupons); JSON errors and 404s throughout.
    # Shopify's and WooCommerce's order webhooks (membership/shops/, docs/shops.md).
    path("api/v1/shops/", include("membership.shops.urls")),
    # The shop's product pages read a product's reviews for the reviews widget (CORS).
    path("api/v1/widget/reviews/", include("community.reviews.widget_urls")),
    # The loyalty widget on the shop's pages (membership/shops/loyalty_widget.py).
    path("api/v1/widget/loyalty/", include("membership.shops.loyalty_urls")),
    path("api/v1/", include("membership.api")),
    # Google Merchant Center's product reviews feed (community/reviews/feed.py).
    path("feeds/", include("community.reviews.feed_urls")),
    # The scripts a shop's pages load to show Kanta's widgets (docs/shops.md).
    path("widgets/v1/", include("community.reviews.widget_script_urls")),
    path("widgets/v1/", include("membership.shops.widget_script_urls")),
    # Member-facing email pages: one-click unsubscribe and preferences (membership/campaigns/public_urls.py).
    path("email/", include("membership.campaigns.public_urls")),
    *([path("demo-shop/", include("community.reviews.demo_shop_urls"))] if settings.KANTA_DEMO_SHOP else []),
    path("", include("content.urls")),
    path("", include("membership.urls")),
    path("", include("community.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree answers everything not matched above: through Wagtail's own serve view,
# with the route remembered per content version (hub/page_routing.py). Wagtail's patterns
# follow for its utility views and for reversing "wagtail_serve".
urlpatterns += [
    re_path(wagtail_urls.serve_pattern, page_routing.serve, name="kanta_serve"),
    path("", include(wagtail_urls)),
]

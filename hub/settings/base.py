"""Settings shared by every environment.

Everything is declared here; dev/test/production only override. With no environment
variables at all Kanta runs on SQLite (WAL), the in-memory channel layer, the local-memory
cache and the console email backend. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL
and Redis without any other change.
"""

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

# Lets Django's generic classes be subscripted at run time (forms.ModelForm[Product]), as
# django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("KANTA_VAR_DIR", BASE_DIR / "var"))
# Local state (the SQLite file); created here so a fresh clone needs no setup step.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A recognisable default that the production system check refuses (see hub/checks.py).
INSECURE_SECRET_KEY = "django-insecure-kanta-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)
# The shop signs its API calls (orders webhook, coupons) with this shared secret; the
# production check refuses the development default and anything under 32 characters.
INSECURE_WEBHOOK_SECRET = "kanta-dev-webhook-secret"  # noqa: S105
KANTA_WEBHOOK_SECRET = os.environ.get("KANTA_WEBHOOK_SECRET", INSECURE_WEBHOOK_SECRET)
# A deployment with one Shopify or WooCommerce shop may set its webhook secret here instead of
# adding the shop in the admin (membership/shops/, docs/shops.md). Empty: only the admin's shops.
KANTA_SHOPIFY_SECRET = os.environ.get("KANTA_SHOPIFY_SECRET", "")
KANTA_WOOCOMMERCE_SECRET = os.environ.get("KANTA_WOOCOMMERCE_SECRET", "")
# The loyalty widget's shared secret for a deployment configured by its environment (the
# storefronts in KANTA_STOREFRONT_ORIGINS); shops in the admin have their own.
KANTA_LOYALTY_WIDGET_SECRET = os.environ.get("KANTA_LOYALTY_WIDGET_SECRET", "")
# /demo-shop/: a stand-in shop page embedding Kanta's widgets (community/reviews/demo_shop.py).
# On for the development server (hub/settings/dev.py) and the tests; off in production.
KANTA_DEMO_SHOP = False
# Where a Shopify shop's Admin GraphQL API answers, for coupons ({shop}: its myshopify.com
# domain). Only tests point it elsewhere (their fake of the API, on this machine).
KANTA_SHOPIFY_API_URL = "https://{shop}/admin/api/{version}/graphql.json"
# How long a worker's try at creating a coupon in a shop holds it (membership/shops/coupons.py).
KANTA_SHOP_COUPON_LEASE_SECONDS = 120
# Pages that may read Kanta's widget endpoints (CORS), besides each shop's storefront
# addresses in the admin: comma-separated origins, e.g. "https://shop.example.com".
KANTA_STOREFRONT_ORIGINS = [
    o.strip() for o in os.environ.get("KANTA_STOREFRONT_ORIGINS", "").split(",") if o.strip()
]
# Also accept the retired `sha256=<hex>` signature (body only, no time, replayable) while the
# shop moves to `t=…,v1=…` (docs/api.md). Off unless the environment turns it on; every call
# it lets through logs a warning.
KANTA_API_LEGACY_SIGNATURES = env_bool("KANTA_API_LEGACY_SIGNATURES", False)
KANTA_ENVIRONMENT = "development"
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # daphne first so that `runserver` serves HTTP and WebSockets alike.
    "daphne",
    "channels",
    "hub",
    "content",
    "membership",
    "community",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.api.v2",
    "rest_framework",
    "wagtail.embeds",
    "wagtail.sites",
    "membership.users_app.MemberUsersConfig",  # wagtail.users with the member list
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "csp",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (with its nonce) and Permissions-Policy on every response.
    "hub.security_headers.ContentSecurityPolicyMiddleware",
    "hub.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in member's saved language wins over the browser's; /i18n/setlang/ saves it.
    "membership.middleware.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Sets the referral device cookie that sign-in/sign-up receivers ask for.
    "membership.devices.DeviceCookieMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Whole pages for anonymous readers (hub/page_cache.py): last, so a hit skips URL routing
    # and rendering while every middleware above still runs on it (CSRF cookie, CSP nonce,
    # X-Frame-Options, the device cookie).
    "hub.page_cache.PageCacheMiddleware",
]

ROOT_URLCONF = "hub.urls"
ASGI_APPLICATION = "hub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "content.context_processors.site_navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite in WAL mode with IMMEDIATE transactions: writers take the lock when the
# transaction starts instead of failing with "database is locked" on upgrade, and readers
# never block writers. The busy timeout lets concurrent writers queue instead of erroring.
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "kanta.sqlite3"))
SQLITE_DATABASE: dict[str, Any] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": SQLITE_PATH,
    # Keep each thread's connection for a minute: opening one (and its PRAGMAs) was 15% of
    # a live room's vote batch (bench/vote_storm.py), the same as PostgreSQL's below.
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    },
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES: dict[str, Any]
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == SQLITE_DATABASE["ENGINE"]:
        # A SQLite file named by URL (several processes on one file) needs the same locking.
        options = DATABASES["default"].get("OPTIONS", {})
        DATABASES["default"]["OPTIONS"] = {**SQLITE_DATABASE["OPTIONS"], **options}
else:
    DATABASES = {"default": SQLITE_DATABASE}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "membership.User"
# Early-access pages name a tier by this reference, so content never imports membership
# (the same indirection as AUTH_USER_MODEL).
KANTA_TIER_MODEL = "membership.Tier"

# --- Cache and channel layer ------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    from hub.redis_connections import channel_layer_host

    CACHES = {
        "default": {
            # A Redis outage reads as an empty cache (hub/cache.py): pages render uncached
            # and cache-counted rate limits fail open until it answers again.
            "BACKEND": "hub.cache.FaultTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kanta",
            "OPTIONS": {
                # Cache calls are tiny: a Redis that does not answer within these is down,
                # and the breaker then skips it for DOWN_RETRY_SECONDS.
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1.0,
                "DOWN_RETRY_SECONDS": 5,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times out a read after 5 s by default, exactly as long as
                # channels_redis's blocking pop waits: every idle socket would then crash
                # with "Timeout reading" (channels_redis#422). Reads may take longer than it.
                # Connections whose sends never swallow a cancellation (hub/redis_connections.py):
                # with redis-py's own, a closed socket's receive could keep running for good.
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        socket_timeout=15,
                        socket_connect_timeout=5,
                        # A pooled connection Redis dropped (a restart) fails its next command:
                        # one immediate retry on a fresh connection, so the first sockets to
                        # reconnect after an outage are not refused. Timeouts are not retried.
                        retry=AsyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
                    )
                ],
                "prefix": "kanta",
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kanta"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Check every realtime payload against its event type's definition where it is sent
# (hub.event_types): on in tests, off (no cost) everywhere else.
KANTA_REALTIME_CHECK_EVENTS = False
# Whole-page cache for anonymous readers of the pages that opt in (hub/page_cache.py). An
# entry is checked against the database's tag versions on every hit, so this is only the
# bound on what no tag tracks: relative times ("5 minutes ago"), an event going live, a
# member's new avatar. Early-access openings shorten it to the opening.
KANTA_PAGE_CACHE = True
KANTA_PAGE_CACHE_SECONDS = 60
KANTA_PAGE_CACHE_ALIAS = "default"
# Sessions live in the database only, never in the cache: with "cached_db" a logout during
# a Redis outage deletes the row but not Redis's copy, and the session would sign the member
# in again once Redis returns with its data. One primary-key read per request is the price.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Authentication (django-allauth) ----------------------------------------------------
# MemberBackend is Django's ModelBackend with the permissions read in one query. Django's own
# stays listed last: a session remembers the backend that signed it in, and sessions signed in
# before MemberBackend came must stay valid (it answers from the same per-request cache).
AUTHENTICATION_BACKENDS = [
    "membership.auth_backends.MemberBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_BLACKLIST = ["admin", "me", "settings", "staff", "kanta", "moderator", "support"]
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
# Sign-in limits (membership/account_limits.py): none of them lets one address lock anybody
# out from anywhere else, and every refusal answers 429 naming when to try again.
ACCOUNT_ADAPTER = "membership.account_limits.AccountAdapter"
# The sign-in form speaks the site's words; the sign-up form adds the separate, unticked
# marketing consent (membership/account_forms.py).
ACCOUNT_FORMS = {
    "login": "membership.account_forms.LoginForm",
    "signup": "membership.account_forms.SignupForm",
}
# allauth's own limits, stated so they are visible and tunable in one place ("ip" is
# REMOTE_ADDR, the client hub/proxy.py found; "key" is what the adapter passes).
ACCOUNT_RATE_LIMITS = {
    # Every sign-in attempt from one address, right or wrong: generous, for shared networks.
    "login": "30/m/ip",
    # Failed sign-ins to one account from one address (the key is both). Past it that pair
    # waits, even with the right password; the account stays open from everywhere else.
    "login_failed": "5/5m/key",
    # Failed sign-ins from one address to any account (Kanta's own action). Past it a wrong
    # password is refused with 429; only failures count, and a right password still signs in.
    "login_failed_address": "10/m/ip,60/h/ip",
    # Sign-up attempts from one address: each success writes a member and sends an email.
    "signup": "10/m/ip,20/h/ip,50/d/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fi", _("Finnish"))]
WAGTAIL_CONTENT_LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True
# One date and time style per language ("3 Dec 2026, 23:26" / "3.12.2026 klo 23.26"): templates
# use the named formats (DATETIME_FORMAT, DATE_FORMAT, TIME_FORMAT), never literal patterns.
FORMAT_MODULE_PATH = ["hub.formats"]

# --- Static files and uploads -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploads only some readers may see (forum attachments, review photos): kept OUTSIDE
# MEDIA_ROOT, which the web server publishes, and served at KANTA_PROTECTED_MEDIA_URL by a
# view that asks the owning app first (content/protected_media.py). Behind nginx, set
# KANTA_PROTECTED_MEDIA_ACCEL_REDIRECT (e.g. "/_protected/") to an `internal` location
# aliased to this directory: Django then decides and nginx sends the bytes.
KANTA_PROTECTED_MEDIA_ROOT = Path(os.environ.get("PROTECTED_MEDIA_ROOT", VAR_DIR / "protected_media"))
KANTA_PROTECTED_MEDIA_URL = "/protected-media/"
KANTA_PROTECTED_MEDIA_ACCEL_REDIRECT = os.environ.get("PROTECTED_MEDIA_ACCEL_REDIRECT", "")
# Seconds a browser (or, for files anyone may see, a shared cache) keeps a protected file:
# short, so a moderator's removal or a category's new tier reaches caches soon.
KANTA_PROTECTED_MEDIA_MAX_AGE = 600
STORAGES = {
    # Wagtail's original images get a random token in their names (content/media_storage.py).
    "default": {"BACKEND": "content.media_storage.MediaStorage"},
    "protected": {"BACKEND": "content.protected_media.ProtectedMediaStorage"},
    # Our CSS and JS minified, then hashed and compressed (hub/storage.py); WhiteNoise gives the
    # hashed names a year-plus immutable cache.
    "staticfiles": {"BACKEND": "hub.storage.MinifiedManifestStaticFilesStorage"},
}
# Set by `make run` (KANTA_SERVE_COLLECTED=1): pages link the collected, hashed files even
# with DEBUG on (dev.py).
KANTA_STATIC_HASHED_URLS = False
# Uploads larger than this are streamed to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Limits every member upload (avatars, review photos, forum attachments) is held to.
KANTA_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# JPEG is decoded at 1/2, 1/4 or 1/8 scale when the output is smaller (content/uploads.py),
# so a 25-megapixel photo costs a few megabytes. PNG, WebP and GIF cannot be decoded smaller:
# they are held to 12 megapixels (36-48 MB while decoding), more than a 4K screenshot (8.3)
# and far more than the 2048-pixel output needs. Phones save photos as JPEG.
KANTA_UPLOAD_MAX_PIXELS = 25_000_000
KANTA_UPLOAD_MAX_PIXELS_FULL_DECODE = 12_000_000
# Image decodes running at once per process, and how long an upload waits for a free one
# before the member is asked to try again (a form error, not a queue).
KANTA_UPLOAD_DECODE_CONCURRENCY = 2
KANTA_UPLOAD_DECODE_WAIT_SECONDS = 10.0
KANTA_AVATAR_SIZE = 256

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Polku Outdoor <community@polku.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# django-anymail, for a store that sends through a provider (production: KANTA_EMAIL_BACKEND).
# Every ANYMAIL_<NAME> environment variable becomes ANYMAIL["<NAME>"] (e.g.
# ANYMAIL_POSTMARK_SERVER_TOKEN). The provider's tracking webhooks (bounces and complaints
# suppress the address, opens feed campaign reports) are mounted under /email/anymail/ only
# when KANTA_ANYMAIL_WEBHOOK_SECRET ("user:password", the HTTP basic auth the provider is given)
# is set: an unauthenticated webhook would let anyone suppress any address.
ANYMAIL: dict[str, Any] = {
    **{key.removeprefix("ANYMAIL_"): val for key, val in os.environ.items() if key.startswith("ANYMAIL_")},
    "WEBHOOK_SECRET": os.environ.get("KANTA_ANYMAIL_WEBHOOK_SECRET", ""),
}

# --- Client addresses behind reverse proxies --------------------------------------------
# How many proxies we run in front of daphne, each appending the address it saw to
# X-Forwarded-For (nginx: $proxy_add_x_forwarded_for). hub/proxy.py takes the entry this many
# places from the right as the client; everything left of it is the client's own invention.
# 0 (the default): daphne faces the clients, the header is ignored.
KANTA_TRUSTED_PROXY_COUNT = int(os.environ.get("KANTA_TRUSTED_PROXY_COUNT", "0"))
# allauth reads REMOTE_ADDR only: hub/proxy.py already put the real client there, and a second
# reading of the header would be a second source of truth.
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None

# --- Security defaults that hold everywhere -------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the live client reads it for fetch() POSTs
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail marks its own preview views SAMEORIGIN

# --- Content-Security-Policy and Permissions-Policy (docs/security-headers.md) ------------
# django-csp's middleware sends the policy; hub/security_headers.py adds what depends on the
# request: the admin's own policy, the WebSocket origin and an HLS stream's sources.
# Production enforces it; dev only reports (Content-Security-Policy-Report-Only, logged by
# /csp-report/); tests enforce it, and a browser test fails on any violation.
# Players an editor may embed in the live room (https only); HLS (.m3u8) plays from anywhere.
KANTA_EVENT_EMBED_HOSTS = ["youtube-nocookie.com", "youtube.com", "player.vimeo.com", "vimeo.com"]
# The 500 page stands alone (no request, so no nonce): its one <style> is allowed by hash.
KANTA_CSP_ERROR_PAGE_STYLE_HASH = "'sha256-CyOrFAx4mkSoGpofzm1AkpvdyoyKFtDZEq/1QQ1+Q6o='"
KANTA_CSP_EMBED_SOURCES = [f"https://{host}" for host in KANTA_EVENT_EMBED_HOSTS] + [
    f"https://*.{host}" for host in KANTA_EVENT_EMBED_HOSTS
]
KANTA_CSP_DIRECTIVES: dict[str, Any] = {
    "default-src": [CSP_SELF],
    # Scripts: our static modules, and a nonce for an inline one (there is none today).
    "script-src": [CSP_SELF, CSP_NONCE],
    # <style> elements need the nonce (the forum thread's per-viewer rules) or the 500 page's
    # hash. Style attributes stay allowed: templates set CSS custom properties from data
    # (category colours, avatar hues, star ratings, histogram widths). An attribute cannot run
    # script, and what it could load (url()) is held to img-src and font-src below.
    "style-src": [CSP_SELF, CSP_NONCE, KANTA_CSP_ERROR_PAGE_STYLE_HASH],
    "style-src-attr": [CSP_UNSAFE_INLINE],
    # data: for the stylesheet's inline SVG backgrounds and masks.
    "img-src": [CSP_SELF, "data:"],
    # blob: for hls.js, which plays through a MediaSource URL and runs its demuxer in a worker.
    "media-src": [CSP_SELF, "blob:"],
    "worker-src": [CSP_SELF, "blob:"],
    # The same-origin WebSocket is added per request (ws: or wss:, with the host).
    "connect-src": [CSP_SELF],
    "font-src": [CSP_SELF],
    "frame-src": KANTA_CSP_EMBED_SOURCES,
    "object-src": [CSP_NONE],
    "base-uri": [CSP_SELF],
    "form-action": [CSP_SELF],
    "frame-ancestors": [CSP_NONE],
}
# Wagtail's admin runs inline scripts and styles and frames its own previews: a looser policy
# of its own for every path under these prefixes.
KANTA_CSP_ADMIN_PATH_PREFIXES = ["/admin/"]
KANTA_CSP_ADMIN_DIRECTIVES: dict[str, Any] = {
    "default-src": [CSP_SELF],
    "script-src": [CSP_SELF, CSP_UNSAFE_INLINE],
    "style-src": [CSP_SELF, CSP_UNSAFE_INLINE],
    "img-src": [CSP_SELF, "data:", "blob:"],
    "media-src": [CSP_SELF, "blob:"],
    "worker-src": [CSP_SELF, "blob:"],
    "connect-src": [CSP_SELF],
    "font-src": [CSP_SELF, "data:"],
    "frame-src": [CSP_SELF, *KANTA_CSP_EMBED_SOURCES],
    "object-src": [CSP_NONE],
    "base-uri": [CSP_SELF],
    "form-action": [CSP_SELF],
    "frame-ancestors": [CSP_SELF],
}
CONTENT_SECURITY_POLICY: dict[str, Any] | None = {"DIRECTIVES": KANTA_CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, Any] | None = None
# Features the hub never uses are denied to it and to every frame; fullscreen goes to the
# site and the embedded players only.
KANTA_PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": ["self", *KANTA_CSP_EMBED_SOURCES],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# --- Wagtail ----------------------------------------------------------------------------
WAGTAIL_SITE_NAME = os.environ.get("KANTA_SITE_NAME", "Polku Outdoor")
# Members know the store, not the software: account emails carry the store's name.
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{WAGTAIL_SITE_NAME}] "
WAGTAILADMIN_BASE_URL = os.environ.get("KANTA_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "xlsx"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = KANTA_UPLOAD_MAX_PIXELS
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Guide review publishes on the strength of its own approval permission (content/workflow_publish.py).
WAGTAIL_FINISH_WORKFLOW_ACTION = "content.workflow_publish.publish_approved"
# No Gravatar: it would send a hash of every editor's email to a third party, and the hub
# must work offline. Wagtail shows initials instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Background tasks -----------------------------------------------------------------
# Work that need not hold up a request (forum notifications to every watcher, Wagtail 8's
# search-index and reference-index updates) is queued in the database and run by
# `manage.py run_worker`, which `make run` starts beside daphne. The queue is a table, so it
# needs nothing beyond the database and survives restarts; tests run tasks inline.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How long finished task rows are kept (the worker prunes them daily).
KANTA_TASK_RESULTS_KEEP_DAYS = 7
# Every worker records a heartbeat this often (seconds), from a thread, also mid-task.
KANTA_WORKER_HEARTBEAT_SECONDS = 10
# A task still RUNNING under a worker unseen this long (seconds) died with it and is queued
# again by any live worker; /healthz reports "worker": {"ok": false} after the same time.
# Six missed heartbeats: long enough for a database hiccup, short enough to notice.
KANTA_WORKER_LOST_AFTER_SECONDS = 60

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per background task is noise at INFO; failures still show.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}

# --- Referrals --------------------------------------------------------------------------
# A friend's first paid order must reach this total (in the order's currency units) for the
# referral to qualify; a referrer's conversions past the monthly limit go to staff review.
KANTA_REFERRAL_MIN_ORDER = Decimal("30")
KANTA_REFERRAL_MONTHLY_LIMIT = 20
# (visits, seconds): referral link visits stored per client address. A browser's repeat
# visits within an hour are one visit and are not counted; past the limit /r/<code>/ answers
# 429 (anonymous visitors must not be able to write rows without end).
KANTA_REFERRAL_VISIT_RATE = (30, 3600)

# --- Product reviews --------------------------------------------------------------------
# A member's review waits for a moderator while they are new: joined under
# KANTA_REVIEW_NEW_MEMBER_DAYS ago, or without a published review yet.
KANTA_REVIEW_PREMODERATE_FIRST = True
KANTA_REVIEW_NEW_MEMBER_DAYS = 7
KANTA_REVIEW_MAX_PHOTOS = 4
# Review points stay pending until the review has been public this many days, so a review a
# moderator removes after readers flag it never paid out. A week: most flags on a review come
# in its first days; a return after it takes the points back anyway (community/reviews/receivers.py).
KANTA_REVIEW_POINTS_HOLD_DAYS = 7
# (attempts, seconds) per member: reviews written, helpful votes cast.
KANTA_REVIEW_RATE_LIMIT = (5, 3600)
KANTA_HELPFUL_RATE_LIMIT = (60, 3600)

# --- Forum ------------------------------------------------------------------------------
# Discourse's defaults. Seconds between a member's posts (longer while they are new), what a
# member may post on their first day, and how long an identical post is refused.
KANTA_FORUM_NEW_MEMBER_HOURS = 24
KANTA_FORUM_POST_INTERVAL = 5
KANTA_FORUM_NEW_MEMBER_POST_INTERVAL = 30
KANTA_FORUM_FIRST_DAY_THREADS = 3
KANTA_FORUM_FIRST_DAY_REPLIES = 10
KANTA_FORUM_DUPLICATE_WINDOW = 300
# A new member's post containing a link waits for a moderator.
KANTA_FORUM_PREMODERATE_NEW_MEMBER_LINKS = True
# Flags from this many distinct members hide a post until a moderator reviews it.
KANTA_FORUM_FLAGS_TO_HIDE = 3
KANTA_FORUM_MAX_IMAGES = 4
KANTA_FORUM_POSTS_PER_PAGE = 20
KANTA_FORUM_THREADS_PER_PAGE = 30
# Threads started in this many days and not yet opened count as new for a member.
KANTA_FORUM_NEW_THREAD_DAYS = 2
# "Discuss" on a product or guide page without a thread opens a new thread here.
KANTA_FORUM_DISCUSSION_CATEGORY = "gear-talk"
# Presence on a thread: changes within this many seconds make one broadcast.
KANTA_FORUM_PRESENCE_INTERVAL = 1.0
# Each process refreshes its sockets' presence rows this often (seconds).
KANTA_FORUM_PRESENCE_HEARTBEAT = 30.0
# A presence row not refreshed for this many seconds is gone (ForumPresence.stale_seconds).
KANTA_FORUM_PRESENCE_STALE = 90.0
# "Replying" lasts this many seconds after a member's last presence.replying frame.
KANTA_FORUM_REPLYING_SECONDS = 20.0

# --- Live events --------------------------------------------------------------------------
# The live room opens this many minutes before the start (the "it's live" push goes out then)
# and stays open until the end.
KANTA_EVENT_ROOM_OPENS_MINUTES = 10
# The players an editor may embed are KANTA_EVENT_EMBED_HOSTS, with the security headers above.
# Minutes in the room that earn the attendance points and count toward the Front Row badge.
KANTA_EVENT_ATTENDANCE_MINUTES = 10
# Chat: Discourse chat's defaults, messages per window (new members get fewer).
KANTA_EVENT_CHAT_RATE = (40, 30)
KANTA_EVENT_CHAT_RATE_NEW_MEMBER = (20, 30)
# Questions per member per window, so the queue is not one person's.
KANTA_EVENT_QUESTION_RATE = (5, 600)
# Votes are written in batches: at most this many milliseconds apart, or this many at once.
KANTA_EVENT_VOTE_BATCH_MS = 25
KANTA_EVENT_VOTE_BATCH_SIZE = 500
# Vote counts are broadcast at most this often per question (seconds), however fast they change.
KANTA_EVENT_VOTE_BROADCAST_INTERVAL = 0.25
# ... and, in a big room, no more often than keeps a process's count frames to about this
# many socket writes per second (2,000 attendees: one frame a second per process).
KANTA_EVENT_VOTE_COUNT_WRITES_PER_SECOND = 2000

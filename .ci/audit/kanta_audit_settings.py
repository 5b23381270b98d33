"""Settings for the Lighthouse and axe audit (.ci/audit/run.py): production, served over http.

Everything a reader's browser receives is production's: DEBUG off, the hashed and compressed
static files WhiteNoise serves, the enforced Content-Security-Policy, the cached template
loader. Only what needs the TLS proxy of a real deployment is changed, because the audit talks
to daphne directly on http://127.0.0.1:

- no redirect to https, and cookies without the Secure flag (a browser would not send them back
  over http, so nobody could sign in);
- no ``upgrade-insecure-requests`` (it would send every subresource to https://127.0.0.1);
- the production start-up checks (secret key, Redis, email provider) do not apply: they guard
  secrets and multi-process delivery, not what a page looks like, and the audit's throwaway
  database needs none of them. The channel layer stays in memory unless REDIS_URL is set.

Static files are collected into the audit's own var directory, never the checkout's.
"""

from hub.settings.production import *  # noqa: F403
from hub.settings.production import KANTA_CSP_ADMIN_DIRECTIVES, KANTA_CSP_DIRECTIVES, VAR_DIR

KANTA_ENVIRONMENT = "audit"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
KANTA_CSP_DIRECTIVES = {k: v for k, v in KANTA_CSP_DIRECTIVES.items() if k != "upgrade-insecure-requests"}
KANTA_CSP_ADMIN_DIRECTIVES = {
    k: v for k, v in KANTA_CSP_ADMIN_DIRECTIVES.items() if k != "upgrade-insecure-requests"
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": KANTA_CSP_DIRECTIVES}
STATIC_ROOT = VAR_DIR / "staticfiles"
# The demo shop page hosts the widgets the audit checks (axe, light and dark).
KANTA_DEMO_SHOP = True

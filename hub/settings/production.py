"""Production: everything secret or site-specific comes from the environment.

`manage.py check --deploy` passes with no warnings here; hub/checks.py refuses to start on
the in-memory channel layer or the development secret key.
"""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import env_bool, env_list

KANTA_ENVIRONMENT = "production"
DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# The Content-Security-Policy is enforced (base.py), and any http: address left in a page is
# fetched over https.
KANTA_CSP_DIRECTIVES = {**KANTA_CSP_DIRECTIVES, "upgrade-insecure-requests": True}  # noqa: F405
KANTA_CSP_ADMIN_DIRECTIVES = {**KANTA_CSP_ADMIN_DIRECTIVES, "upgrade-insecure-requests": True}  # noqa: F405
CONTENT_SECURITY_POLICY = {"DIRECTIVES": KANTA_CSP_DIRECTIVES}

# EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587 ; console when unset so
# a misconfigured host never drops mail silently (the check below warns about it).
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _email.scheme == "smtps"
# Or an email provider through django-anymail, which also reports bounces, complaints and opens
# back (docs/campaigns.md, "Your email provider"): KANTA_EMAIL_BACKEND such as
# anymail.backends.postmark.EmailBackend, with the provider's keys in ANYMAIL_<NAME> environment
# variables (base.py gathers them into ANYMAIL).
if os.environ.get("KANTA_EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["KANTA_EMAIL_BACKEND"]

if DATABASE_URL:  # noqa: F405
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)  # noqa: F405
    }

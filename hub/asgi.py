"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Under production settings it refuses to load when the security checks fail (a development
secret key, the in-memory channel layer …), so daphne exits with the reasons instead of
serving. Every request and socket then gets its client address from the trusted proxies
(hub/proxy.py). WebSockets pass the Origin check against ALLOWED_HOSTS (a foreign page
cannot open a member's socket with their cookies) and then session authentication.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")

# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from hub.checks import refuse_unsafe_production  # noqa: E402
from hub.heap import settle  # noqa: E402
from hub.proxy import ClientAddressMiddleware  # noqa: E402
from hub.routing import websocket_urlpatterns  # noqa: E402

refuse_unsafe_production()

application = ClientAddressMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
settle()

"""The request a view behind ``login_required`` receives: its user is a member, never anonymous.

Only for type annotations (django-stubs' pattern); Django still passes an ``HttpRequest``.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User

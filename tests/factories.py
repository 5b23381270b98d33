"""Builders for test data. They go through the same services the app uses."""

from __future__ import annotations

import io

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from PIL import Image

from membership.models import User

PASSWORD = "correct-horse-battery"


def make_member(
    username: str,
    *,
    email: str | None = None,
    display_name: str = "",
    verified: bool = True,
    groups: list[str] | None = None,
    password: str = PASSWORD,
) -> User:
    email = email or f"{username}@example.com"
    user = User.objects.create_user(
        username=username, email=email, password=password, display_name=display_name
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if groups:
        user.groups.set(Group.objects.filter(name__in=groups))
    return user


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (640, 480), color: str = "#2f6f4e", exif: bytes | None = None
) -> bytes:
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    params = {"exif": exif} if exif else {}
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()

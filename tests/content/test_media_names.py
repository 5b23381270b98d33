"""Wagtail's original images and their renditions have names no one can guess."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.content.conftest import make_image

pytestmark = pytest.mark.django_db


def test_an_original_image_and_its_renditions_carry_a_random_token():
    first, second = make_image("gold-preview"), make_image("gold-preview")
    assert re.fullmatch(r"original_images/gold-preview\.[0-9a-f]{16}\.jpg", first.file.name)
    assert first.file.name != second.file.name
    assert not default_storage.exists("original_images/gold-preview.jpg")
    rendition = first.get_rendition("fill-100x50")
    token = first.file.name.split(".")[1]
    assert token in rendition.file.name


def test_a_long_name_keeps_its_token_within_the_field():
    image = make_image("x" * 120)
    assert len(image.file.name) <= 100
    assert re.search(r"\.[0-9a-f]{16}\.jpg$", image.file.name)


def test_other_uploads_keep_the_name_they_were_given():
    name = default_storage.save("avatars/abc.webp", ContentFile(b"x"))
    assert name == "avatars/abc.webp"

"""Issue 15: a published page's image renditions are made by the worker, not by its first
reader; the specs live in content/renditions.py and match what the templates ask for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from wagtail.images import get_image_model

import content.tasks
from content.renditions import RENDITIONS, all_renditions_make, rendition_filters
from tests.content.conftest import make_product

IMAGE_TAG = re.compile(r"\{%\s*(?:picture|image|srcset_image)\s+\S+\s+(.*?)%\}")


def rendition_count() -> int:
    return get_image_model().get_rendition_model().objects.count()


def normalised(spec: str) -> tuple[str, ...]:
    return tuple(sorted(re.split(r"[ |]+", spec.strip())))


def template_specs() -> dict[tuple[str, ...], str]:
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    found = {}
    for root in roots:
        for path in root.rglob("*.html"):
            if "membership" in path.parts:
                continue  # rewards' pictures are membership's (no page publishes them)
            for arguments in IMAGE_TAG.findall(path.read_text()):
                # The filter specs are the words before the first attribute (name=value) or "as".
                words = []
                for word in arguments.split():
                    if "=" in word or word == "as":
                        break
                    words.append(word)
                found[normalised(" ".join(words))] = str(path.relative_to(settings.BASE_DIR))
    return found


def test_every_spec_a_template_asks_for_is_made_ahead():
    listed = {normalised(spec) for spec in RENDITIONS.values()}
    specs = template_specs()
    assert len(specs) >= 8
    assert {spec: where for spec, where in specs.items() if spec not in listed} == {}


def test_rendition_filters_expand_braces_as_the_picture_tag_does():
    assert rendition_filters("card") == [
        "format-avif|fill-480x270-c70",
        "format-avif|fill-960x540-c70",
        "format-webp|fill-480x270-c70",
        "format-webp|fill-960x540-c70",
        "format-jpeg|fill-480x270-c70",
        "format-jpeg|fill-960x540-c70",
    ]


def test_publishing_a_page_queues_its_renditions(make_guide, monkeypatch, django_capture_on_commit_callbacks):
    queued = []

    class Recorder:
        @staticmethod
        def enqueue(page_id):
            queued.append(page_id)

    monkeypatch.setattr(content.tasks, "page_renditions_make", Recorder)
    with django_capture_on_commit_callbacks(execute=True):
        guide = make_guide()
    assert guide.pk in queued


@pytest.mark.django_db
def test_the_task_makes_what_the_page_and_its_cards_show(make_guide, client):
    guide = make_guide()
    before = rendition_count()
    result = content.tasks.page_renditions_make.enqueue(guide.pk)
    assert result.return_value > 0
    made = rendition_count() - before
    # The hero (page, card, share image), the author's photo, two product picks and the
    # comparison table's thumbnails.
    assert made >= len(rendition_filters("hero", "card", "social")) + 1
    for url in (guide.url, guide.get_parent().url, "/"):
        assert client.get(url).status_code == 200
    assert rendition_count() - before == made


@pytest.mark.django_db
def test_the_seed_step_makes_product_pages_renditions(make_guide, client):
    make_guide()
    product = make_product()
    all_renditions_make()
    before = rendition_count()
    assert client.get(product.get_absolute_url()).status_code == 200
    assert rendition_count() == before


def test_saving_a_products_picture_queues_its_renditions(db, monkeypatch, django_capture_on_commit_callbacks):
    queued = []

    class Recorder:
        @staticmethod
        def enqueue(product_id):
            queued.append(product_id)

    monkeypatch.setattr(content.tasks, "product_renditions_make", Recorder)
    with django_capture_on_commit_callbacks(execute=True):
        product = make_product()
    assert queued == [product.pk]
    # A save naming other fields (a stock or price sync) leaves the pictures alone.
    with django_capture_on_commit_callbacks(execute=True):
        product.save(update_fields=["price"])
        make_product(image=None)
    assert queued == [product.pk]


@pytest.mark.django_db
def test_the_product_task_makes_what_its_page_shows(make_guide, client):
    make_guide()
    product = make_product()
    content.tasks.product_renditions_make.enqueue(product.pk)
    before = rendition_count()
    assert client.get(product.get_absolute_url()).status_code == 200
    assert rendition_count() == before

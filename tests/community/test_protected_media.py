"""Forum attachments and review photos are served only to readers who may see them."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from community.forum.services.moderation import post_delete, post_hide
from community.forum.services.posts import NewImage
from community.models import PostImage, Review
from community.reviews.services.moderation import review_reject, review_remove
from content.uploads import sanitise_image
from membership.models import User
from tests.community.conftest import veteran, write_review
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def new_image(alt: str = "The lounge") -> NewImage:
    upload = SimpleUploadedFile("lounge.png", image_bytes("PNG", (40, 30)), content_type="image/png")
    return NewImage(image=sanitise_image(upload), alt=alt)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def fetch(user: User | None, url: str):
    response = client_for(user).get(url)
    # Reading a streamed body to its end is what closes the file (the test client's wrapper).
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def forum_moderator(db):
    return forum_member("ville", groups=["Moderators"])


@pytest.fixture
def gold_post_image(db):
    owner = forum_member("aino", tier="gold")
    thread = start_thread(owner, make_category("gold-lounge", read_tier="gold"), images=[new_image()])
    image = PostImage.objects.get(post__thread=thread)
    return owner, thread, image


def test_a_gold_lounge_image_is_stored_outside_media_root(gold_post_image):
    _owner, _thread, image = gold_post_image
    assert image.image.url == f"/protected-media/{image.image.name}"
    assert image.image.name.startswith("forum/")
    assert not default_storage.exists(image.image.name)
    assert not (settings.MEDIA_ROOT / image.image.name).exists()
    assert storages["protected"].exists(image.image.name)


def test_a_gold_lounge_image_is_only_for_readers_of_the_lounge(gold_post_image, forum_moderator):
    owner, _thread, image = gold_post_image
    url = image.image.url
    below_tier = forum_member("pekka", tier="silver")
    for outsider in (None, below_tier):
        response, body = fetch(outsider, url)
        assert response.status_code == 404 and b"RIFF" not in body

    stored = storages["protected"].open(image.image.name).read()
    for reader in (owner, forum_member("liisa", tier="gold"), forum_moderator):
        response, body = fetch(reader, url)
        assert response.status_code == 200
        assert body == stored and response["Content-Type"] == "image/webp"
        # Never kept by a shared cache: only this reader's browser.
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_a_public_category_image_may_be_cached_publicly(db):
    author = forum_member("aino")
    thread = start_thread(author, make_category("cycling"), images=[new_image()])
    image = PostImage.objects.get(post__thread=thread)
    response, _body = fetch(None, image.image.url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert f"max-age={settings.KANTA_PROTECTED_MEDIA_MAX_AGE}" in response["Cache-Control"]


def test_hidden_and_deleted_posts_images_are_for_moderators_only(forum_moderator):
    author = forum_member("aino")
    category = make_category("cycling")
    hidden = start_thread(author, category, title="Hidden", images=[new_image()])
    deleted = start_thread(author, category, title="Deleted", images=[new_image()])
    post_hide(post=hidden.posts.get(), moderator=forum_moderator, reason="Spam")
    post_delete(post=deleted.posts.get(), actor=author)
    reader = forum_member("pekka")
    for thread in (hidden, deleted):
        url = PostImage.objects.get(post__thread=thread).image.url
        assert fetch(None, url)[0].status_code == 404
        assert fetch(reader, url)[0].status_code == 404
        response, _body = fetch(forum_moderator, url)
        assert response.status_code == 200 and "private" in response["Cache-Control"]


def test_review_photos_are_public_only_while_the_review_is_published(product, moderator):
    author = veteran("aino")
    stranger = veteran("pekka")
    review = write_review(author, product, photos=1)
    assert review.state == Review.State.PENDING
    url = review.photos.get().image.url
    assert url.startswith("/protected-media/reviews/")
    assert not default_storage.exists(review.photos.get().image.name)

    # Waiting: its author and the moderators only.
    assert fetch(None, url)[0].status_code == 404
    assert fetch(stranger, url)[0].status_code == 404
    assert fetch(author, url)[0].status_code == 200
    assert fetch(moderator, url)[0].status_code == 200

    rejected = review_reject(review=review, moderator=moderator, reason="Blurry")
    assert fetch(None, url)[0].status_code == 404
    assert fetch(author, url)[0].status_code == 200

    other = write_review(veteran("liisa"), product, photos=1, approve_by=moderator)
    public_url = other.photos.get().image.url
    response, _body = fetch(None, public_url)
    assert response.status_code == 200 and "public" in response["Cache-Control"]

    # A removed review's photo is kept for the audit trail, but no longer public.
    review_remove(review=other, moderator=moderator, reason="Not about the product")
    assert fetch(None, public_url)[0].status_code == 404
    assert fetch(stranger, public_url)[0].status_code == 404
    assert fetch(moderator, public_url)[0].status_code == 200
    assert rejected.state == Review.State.REJECTED


@pytest.mark.parametrize(
    "path",
    [
        "/protected-media/forum/../reviews/x.webp",
        "/protected-media/forum/a/b.webp",
        "/protected-media/avatars/x.webp",
        "/protected-media/forum/",
        "/protected-media/forum/missing.webp",
    ],
)
def test_addresses_that_name_no_protected_file_are_404(path, forum_moderator):
    assert fetch(forum_moderator, path)[0].status_code == 404


def test_behind_nginx_the_file_is_sent_by_an_internal_redirect(gold_post_image, settings):
    settings.KANTA_PROTECTED_MEDIA_ACCEL_REDIRECT = "/_protected/"
    owner, _thread, image = gold_post_image
    response, body = fetch(owner, image.image.url)
    assert response.status_code == 200 and body == b""
    assert response["X-Accel-Redirect"] == f"/_protected/{image.image.name}"
    assert response["Content-Type"] == "image/webp"
    assert fetch(None, image.image.url)[0].status_code == 404


def test_serving_an_image_takes_a_bounded_number_of_queries(gold_post_image, django_assert_max_num_queries):
    owner, _thread, image = gold_post_image
    client = client_for(owner)
    # The image with its post, thread and category (one join); then what any forum read costs:
    # session, user, permissions (2), sanctions, standing.
    with django_assert_max_num_queries(7):
        response = client.get(image.image.url)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_the_migration_moves_old_files_out_of_media_root(gold_post_image, product, moderator):
    """Files uploaded before the protected storage: their /media/ address stops working."""
    owner, _thread, image = gold_post_image
    name, data = image.image.name, storages["protected"].open(image.image.name).read()
    # As an upload from before: the file under MEDIA_ROOT, where the web server serves it.
    storages["protected"].delete(name)
    default_storage.save(name, ContentFile(data))
    review = write_review(veteran("liisa"), product, photos=1, approve_by=moderator)
    photo_name = review.photos.get().image.name
    default_storage.save(photo_name, storages["protected"].open(photo_name))
    storages["protected"].delete(photo_name)
    assert (settings.MEDIA_ROOT / name).exists()

    from django.apps import apps

    migration = importlib.import_module("community.migrations.0007_protected_uploads")
    migration.move_to_protected(apps, None)

    for moved in (name, photo_name):
        assert not default_storage.exists(moved) and not (settings.MEDIA_ROOT / moved).exists()
        assert storages["protected"].exists(moved)
    response, body = fetch(owner, image.image.url)
    assert response.status_code == 200 and body == data
    assert fetch(None, image.image.url)[0].status_code == 404
    # Running it again (a second migrate on the same files) changes nothing.
    migration.move_to_protected(apps, None)
    assert storages["protected"].exists(name)


def test_the_thread_page_links_images_through_the_check(gold_post_image):
    owner, thread, image = gold_post_image
    page = client_for(owner).get(thread.get_absolute_url(), follow=True)
    assert page.status_code == 200
    assert f'src="/protected-media/{image.image.name}"'.encode() in page.content


def test_removing_an_image_or_photo_deletes_its_protected_file(
    gold_post_image, product, moderator, django_capture_on_commit_callbacks
):
    from community.forum.services.posts import post_edit
    from community.reviews.services.reviews import review_update

    owner, thread, image = gold_post_image
    name = image.image.name
    with django_capture_on_commit_callbacks(execute=True):
        post_edit(
            post=thread.posts.get(), editor=owner, body="No picture after all.", remove_image_ids=[image.pk]
        )
    assert not storages["protected"].exists(name)

    review = write_review(veteran("liisa"), product, photos=1)
    photo = review.photos.get()
    with django_capture_on_commit_callbacks(execute=True):
        review_update(review=review, rating=4, title="Solid", body="Works well.", remove_photo_ids=[photo.pk])
    assert not storages["protected"].exists(photo.image.name)


def test_a_protected_root_inside_media_root_stops_the_server(settings, tmp_path):
    from content.protected_media import check_protected_media_root

    assert check_protected_media_root() == []
    settings.MEDIA_ROOT = tmp_path
    for inside in (tmp_path, tmp_path / "protected", tmp_path.parent):
        settings.KANTA_PROTECTED_MEDIA_ROOT = inside
        assert [error.id for error in check_protected_media_root()] == ["content.E001"]


def test_a_reply_whose_image_finds_no_decode_slot_is_refused_with_a_form_error(client, settings):
    from django.urls import reverse

    from community.models import Post
    from content import uploads

    settings.KANTA_UPLOAD_DECODE_CONCURRENCY = 1
    settings.KANTA_UPLOAD_DECODE_WAIT_SECONDS = 0
    thread = start_thread(forum_member("aino"), make_category("cycling"))
    client.force_login(forum_member("eero"))
    upload = SimpleUploadedFile("ice.jpg", image_bytes("JPEG", (800, 600)), content_type="image/jpeg")
    slots = uploads._decode_slots()
    assert slots.acquire(timeout=0)  # another upload is decoding
    try:
        response = client.post(
            reverse("community:forum_reply", kwargs={"pk": thread.pk}),
            {"body": "Here is my setup.", "image_1": upload, "alt_1": "Tyres on ice"},
        )
    finally:
        slots.release()
    assert response.status_code == 400
    assert response.context["form"].errors["image_1"] == [
        "The server is busy processing other images. Try again in a moment."
    ]
    assert not Post.objects.filter(thread=thread, number=2).exists()

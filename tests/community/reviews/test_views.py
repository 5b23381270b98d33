"""Writing, editing and voting through the web: forms that keep what was typed, clear limits."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community.models import HelpfulVote, Review, ReviewPhoto
from tests.community.conftest import photo, write_review
from tests.content.conftest import make_product
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def jpeg_with_gps(name: str = "trail.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° when displayed
    exif[0x8825] = {1: "N", 2: (65.0, 1.0, 0.0)}  # GPS
    data = image_bytes("JPEG", (400, 200), exif=exif.tobytes())
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def review_data(**overrides) -> dict:
    return {"rating": "4", "title": "Grippy", "body": "Held on **sheet ice** all winter.", **overrides}


def test_anonymous_writers_are_sent_to_sign_in(client, product):
    response = client.get(f"/products/{product.slug}/review/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/products/{product.slug}/review/", review_data()).status_code == 302
    assert not Review.objects.exists()


def test_writing_a_review_with_a_photo(client, author, product, settings):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False
    client.force_login(author)
    response = client.post(
        f"/products/{product.slug}/review/", review_data(photo_1=jpeg_with_gps(), alt_1="Tyre on ice")
    )
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#review-{review.pk}")
    assert review.state == Review.State.PUBLISHED and review.rating == 4
    stored = review.photos.get()
    assert stored.alt == "Tyre on ice"
    assert stored.image.name.startswith("reviews/") and stored.image.name.endswith(".webp")
    assert "trail" not in stored.image.name
    with Image.open(stored.image.path) as image:
        assert image.format == "WEBP"
        assert image.size == (200, 400)  # turned upright, as the camera meant
        assert not image.getexif()
        assert "exif" not in image.info
    page = client.get(product.get_absolute_url()).content.decode()
    assert stored.image.url in page and 'alt="Tyre on ice"' in page


def test_errors_keep_what_the_member_wrote(client, author, product):
    client.force_login(author)
    long_body = "I rode these every day from November to March. " * 3
    response = client.post(f"/products/{product.slug}/review/", {"title": "My verdict", "body": long_body})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html  # the rating
    assert 'value="My verdict"' in html
    assert long_body.strip() in html
    assert not Review.objects.exists()


def test_non_images_and_a_fifth_photo_are_refused(client, author, moderator, product):
    client.force_login(author)
    fake = SimpleUploadedFile("notes.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(f"/products/{product.slug}/review/", review_data(photo_1=fake))
    assert response.status_code == 400
    assert "Upload a JPEG, PNG, WebP or GIF image." in response.content.decode()
    assert not Review.objects.exists()

    review = write_review(author, product, photos=4, approve_by=moderator)
    form_page = client.get(f"/reviews/{review.pk}/edit/").content.decode()
    assert 'name="photo_1"' not in form_page  # no free slot with four photos
    response = client.post(
        f"/reviews/{review.pk}/edit/",
        review_data(photo_1=SimpleUploadedFile("five.png", image_bytes("PNG"), content_type="image/png")),
    )
    assert response.status_code == 400
    assert review.photos.count() == 4


def test_the_service_refuses_a_fifth_photo_too(author, moderator, product):
    from django.core.exceptions import ValidationError

    from community.reviews.services.reviews import review_update

    review = write_review(author, product, photos=4, approve_by=moderator)
    with pytest.raises(ValidationError, match="at most 4 photos"):
        review_update(review=review, rating=4, title="x", body="x", new_photos=[photo()])
    assert review.photos.count() == 4


def test_oversized_uploads_are_refused_with_the_limit(client, author, product, settings):
    settings.KANTA_UPLOAD_MAX_BYTES = 1000
    client.force_login(author)
    big = SimpleUploadedFile("big.png", image_bytes("PNG", (800, 800), "#123456"), content_type="image/png")
    response = client.post(f"/products/{product.slug}/review/", review_data(photo_1=big))
    assert response.status_code == 400
    assert "images can be at most" in response.content.decode()


def test_a_second_review_lands_in_the_edit_form(client, author, product):
    client.force_login(author)
    review = write_review(author, product, title="First take")
    assert client.get(f"/products/{product.slug}/review/")["Location"] == f"/reviews/{review.pk}/edit/"
    response = client.post(f"/products/{product.slug}/review/", review_data(title="Second take"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "You already reviewed this product" in html
    assert 'value="Second take"' in html
    assert f'action="/reviews/{review.pk}/edit/"' in html
    assert Review.objects.get().title == "First take"


def test_editing_removes_photos_after_commit(
    client, author, moderator, product, django_capture_on_commit_callbacks
):
    review = write_review(author, product, photos=2, approve_by=moderator)
    first, second = review.photos.order_by("id")
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/reviews/{review.pk}/edit/",
            review_data(**{f"remove_{first.pk}": "on", f"alt_existing_{second.pk}": "Side wall"}),
        )
    assert response.status_code == 302
    assert ReviewPhoto.objects.filter(review=review).count() == 1
    storage = first.image.storage
    assert storage.exists(first.image.name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not storage.exists(first.image.name)
    second.refresh_from_db()
    assert second.alt == "Side wall"
    review.refresh_from_db()
    assert review.edited_at is not None and review.state == Review.State.PUBLISHED
    assert "edited" in client.get(product.get_absolute_url()).content.decode()


def test_only_the_author_edits(client, author, reader, product):
    review = write_review(author, product)
    client.force_login(reader)
    assert client.get(f"/reviews/{review.pk}/edit/").status_code == 403
    assert client.post(f"/reviews/{review.pk}/edit/", review_data()).status_code == 403


def test_helpful_without_javascript_redirects_back(client, author, reader, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    client.force_login(reader)
    next_url = f"{product.get_absolute_url()}?sort=newest"
    response = client.post(f"/reviews/{review.pk}/helpful/", {"next": next_url})
    assert response["Location"] == f"{next_url}#review-{review.pk}"
    assert HelpfulVote.objects.filter(review=review, member=reader).exists()
    html = client.get(next_url).content.decode()
    assert "1 person found this helpful" in html and 'aria-pressed="true"' in html
    # An outside "next" is ignored.
    response = client.post(f"/reviews/{review.pk}/helpful/", {"next": "https://evil.example/"})
    assert response["Location"] == review.get_absolute_url()


def test_helpful_with_javascript_gets_json(client, author, reader, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    client.force_login(reader)
    headers = {"Accept": "application/json"}
    response = client.post(f"/reviews/{review.pk}/helpful/", headers=headers)
    assert response.json() == {"helpful": True, "count": 1, "label": "1 person found this helpful"}
    assert client.post(f"/reviews/{review.pk}/helpful/", headers=headers).json()["helpful"] is False
    client.force_login(author)
    response = client.post(f"/reviews/{review.pk}/helpful/", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "You cannot mark your own review helpful."
    client.logout()
    assert client.post(f"/reviews/{review.pk}/helpful/", headers=headers).status_code == 401


def test_review_writing_is_rate_limited_with_a_clear_error(client, author, settings):
    settings.KANTA_REVIEW_RATE_LIMIT = (2, 3600)
    client.force_login(author)
    products = [make_product() for _ in range(3)]
    for product in products[:2]:
        assert client.post(f"/products/{product.slug}/review/", review_data()).status_code == 302
    response = client.post(f"/products/{products[2].slug}/review/", review_data(title="Third"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "You can write 2 reviews per 60 minutes. Please try again later." in html
    assert 'value="Third"' in html
    assert Review.objects.count() == 2


def test_helpful_votes_are_rate_limited(client, author, reader, moderator, product, settings):
    settings.KANTA_HELPFUL_RATE_LIMIT = (3, 3600)
    review = write_review(author, product, approve_by=moderator)
    client.force_login(reader)
    headers = {"Accept": "application/json"}
    for _ in range(3):
        assert client.post(f"/reviews/{review.pk}/helpful/", headers=headers).status_code == 200
    response = client.post(f"/reviews/{review.pk}/helpful/", headers=headers)
    assert response.status_code == 429
    assert "per 60 minutes" in response.json()["error"]
    response = client.post(f"/reviews/{review.pk}/helpful/", follow=True)
    assert "Please try again later." in response.content.decode()


def test_reviews_js_is_served_and_posts_with_the_csrf_header(client, author, moderator, product):
    from django.contrib.staticfiles import finders

    path = finders.find("community/reviews/reviews.js")
    source = open(path, encoding="utf-8").read()  # noqa: SIM115
    assert '"X-CSRFToken"' in source and 'Accept: "application/json"' in source
    write_review(author, product, approve_by=moderator)
    assert "community/reviews/reviews.js" in client.get(product.get_absolute_url()).content.decode()


def test_uploaded_photo_is_reencoded_not_stored_as_sent(author, moderator, product):
    review = write_review(author, product, photos=1, approve_by=moderator)
    stored = review.photos.get()
    with Image.open(io.BytesIO(stored.image.read())) as image:
        assert image.format == "WEBP"

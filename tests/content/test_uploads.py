"""Member image uploads are re-encoded within limits and keep no metadata."""

from __future__ import annotations

import io
import threading
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from content.uploads import sanitise_image
from tests.factories import image_bytes


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0131] = "Camera firmware 1.0"  # Software
    exif[0x8825] = {1: "N", 2: (60.0, 10.0, 0.0)}  # GPS block: the member's home
    return exif.tobytes()


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header promises 900 megapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_reencodes_to_webp_without_metadata():
    clean = sanitise_image(upload(image_bytes(exif=exif_with_gps())), square=256)
    stored = Image.open(io.BytesIO(clean.file.read()))
    assert stored.format == "WEBP"
    assert stored.size == (256, 256)
    assert not stored.getexif()
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert clean.file.name.endswith(".webp") and "photo" not in clean.file.name


def test_keeps_proportions_and_caps_the_long_side():
    clean = sanitise_image(upload(image_bytes("PNG", (3000, 1000)), "wide.png", "image/png"), max_side=1200)
    assert (clean.width, clean.height) == (1200, 400)


def test_respects_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise
    clean = sanitise_image(upload(image_bytes(size=(400, 200), exif=exif.tobytes())))
    assert (clean.width, clean.height) == (200, 400)


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(png_bomb(), "bomb.png", "image/png"))
    assert excinfo.value.code == "invalid_image"


def test_image_over_the_pixel_limit_is_refused_with_its_size():
    big = image_bytes("PNG", (6000, 5000))  # 30 MP, over the 25 MP limit, small file
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(big, "huge.png", "image/png"))
    assert excinfo.value.code == "too_many_pixels"
    assert "6000 × 5000" in excinfo.value.messages[0]


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(svg, "avatar.svg", "image/svg+xml"))
    assert excinfo.value.messages == ["Upload a JPEG, PNG, WebP or GIF image."]


def test_twenty_megabyte_file_is_refused_before_it_is_read():
    payload = image_bytes() + b"\0" * (20 * 1024 * 1024)
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(payload, "big.jpg"))
    assert excinfo.value.code == "too_large"
    assert "20.0\xa0MB" in excinfo.value.messages[0]
    assert "5.0\xa0MB" in excinfo.value.messages[0]


def test_truncated_image_is_reported_as_damaged():
    data = image_bytes("PNG", (800, 800), color="#123456")
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(data[: len(data) // 3], "cut.png", "image/png"))
    assert excinfo.value.code in {"damaged", "invalid_image"}


def test_transparent_png_keeps_its_alpha():
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    clean = sanitise_image(upload(buffer.getvalue(), "logo.png", "image/png"))
    assert Image.open(io.BytesIO(clean.file.read())).mode == "RGBA"


# --- memory: limits before the decode, reduced decodes, a cap on decodes at once ----------


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The size each image had when its pixels were decoded."""
    sizes: list[tuple[str, tuple[int, int]]] = []
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:  # pixels still to decode (a second load() is a no-op)
            sizes.append((self.format, self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def refuse_decoding(monkeypatch):
    def load(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(Image.Image, "load", load)


def test_oversize_dimensions_are_refused_before_any_pixel_is_decoded(monkeypatch):
    big = image_bytes("PNG", (6000, 5000))
    refuse_decoding(monkeypatch)
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(big, "huge.png", "image/png"))
    assert excinfo.value.code == "too_many_pixels"


def test_a_png_at_the_jpeg_limit_is_refused_before_decoding(monkeypatch, settings):
    """The issue's case: a flat 5000 x 5000 PNG (about 73 KB) used to cost ~100 MB to decode.
    PNG decodes at full size, so it is held to the lower full-decode limit."""
    flat = image_bytes("PNG", (5000, 5000))
    assert len(flat) < 200_000
    refuse_decoding(monkeypatch)
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(flat, "flat.png", "image/png"))
    assert excinfo.value.code == "too_many_pixels"
    assert "12 megapixels" in excinfo.value.messages[0]


def test_jpeg_is_decoded_at_the_reduced_scale_the_output_needs(decoded_sizes):
    photo = image_bytes("JPEG", (4000, 3000))
    clean = sanitise_image(upload(photo), max_side=1600)
    # 1/2 scale is the smallest that keeps the long side at 1600 or more.
    assert decoded_sizes == [("JPEG", (2000, 1500))]
    assert (clean.width, clean.height) == (1600, 1200)

    decoded_sizes.clear()
    avatar = sanitise_image(upload(photo), square=256)
    assert decoded_sizes == [("JPEG", (500, 375))]  # 1/8 scale
    assert (avatar.width, avatar.height) == (256, 256)


def test_a_jpeg_at_the_pixel_limit_is_accepted_and_decoded_small(decoded_sizes):
    photo = image_bytes("JPEG", (5000, 5000))  # 25 MP: over the PNG limit, within JPEG's
    clean = sanitise_image(upload(photo), square=256)
    assert decoded_sizes == [("JPEG", (625, 625))]
    assert (clean.width, clean.height) == (256, 256)


def test_drafted_jpeg_keeps_exif_orientation_and_loses_the_metadata(decoded_sizes):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise
    exif[0x010F] = "SpyCam"
    clean = sanitise_image(upload(image_bytes(size=(4000, 2000), exif=exif.tobytes())), max_side=1600)
    assert decoded_sizes == [("JPEG", (2000, 1000))]
    assert (clean.width, clean.height) == (800, 1600)
    stored = Image.open(io.BytesIO(clean.file.read()))
    assert stored.format == "WEBP" and not stored.getexif() and "exif" not in stored.info


def test_png_is_shrunk_without_a_full_size_copy(monkeypatch):
    """After the decode, the only full-size allocation left is a mode conversion, and an
    RGB PNG needs none."""
    data = image_bytes("PNG", (3000, 2000))
    copies: list[tuple[int, int]] = []
    for name in ("copy", "convert", "transpose"):
        original = getattr(Image.Image, name)

        def spy(self, *args, _original=original, **kwargs):
            if self.size == (3000, 2000):
                copies.append(self.size)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Image.Image, name, spy)
    clean = sanitise_image(upload(data, "wide.png", "image/png"), max_side=1200)
    assert (clean.width, clean.height) == (1200, 800)
    assert copies == []


def hold_decodes(monkeypatch):
    """Make every decode wait until the test lets it go; count the decodes in flight."""
    state = {"in_flight": 0, "most": 0}
    lock = threading.Lock()
    entered = threading.Semaphore(0)
    release = threading.Event()
    original = ImageFile.ImageFile.load

    def load(self):
        with lock:
            state["in_flight"] += 1
            state["most"] = max(state["most"], state["in_flight"])
        entered.release()
        assert release.wait(timeout=30)
        try:
            return original(self)
        finally:
            with lock:
                state["in_flight"] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return state, entered, release


def test_decodes_at_once_are_capped_and_a_late_upload_is_told_to_retry(monkeypatch, settings):
    settings.KANTA_UPLOAD_DECODE_CONCURRENCY = 2
    settings.KANTA_UPLOAD_DECODE_WAIT_SECONDS = 30
    state, entered, release = hold_decodes(monkeypatch)
    data = image_bytes("PNG", (300, 200))
    results: list[object] = []

    def run():
        try:
            results.append(sanitise_image(upload(data, "a.png", "image/png")))
        except ValidationError as error:
            results.append(error)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for _ in workers:
        assert entered.acquire(timeout=30)  # both slots are taken, both decodes waiting

    # A third upload finds no free slot; with no wait allowed it is refused, not queued.
    settings.KANTA_UPLOAD_DECODE_WAIT_SECONDS = 0
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload(data, "b.png", "image/png"))
    assert excinfo.value.code == "busy"
    assert "Try again" in excinfo.value.messages[0]

    release.set()
    for worker in workers:
        worker.join(timeout=30)
    assert all(not isinstance(result, ValidationError) for result in results) and len(results) == 2
    assert state["most"] == 2
    # The slots were given back: the next upload goes through.
    assert sanitise_image(upload(data, "c.png", "image/png")).width == 300


def test_many_uploads_at_once_never_decode_more_than_the_cap(monkeypatch, settings):
    settings.KANTA_UPLOAD_DECODE_CONCURRENCY = 2
    settings.KANTA_UPLOAD_DECODE_WAIT_SECONDS = 30
    state, entered, release = hold_decodes(monkeypatch)
    data = image_bytes("JPEG", (300, 200))
    errors: list[Exception] = []

    def run():
        try:
            sanitise_image(upload(data))
        except Exception as error:
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(8)]
    for worker in workers:
        worker.start()
    assert entered.acquire(timeout=30) and entered.acquire(timeout=30)
    release.set()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert state["most"] == 2

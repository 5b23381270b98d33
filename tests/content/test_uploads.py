"""Member image uploads are re-encoded within limits and keep no metadata."""

from __future__ import annotations

import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

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

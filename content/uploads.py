"""Member image uploads: checked, decoded within limits, re-encoded without metadata.

Every image a member sends (avatars, review photos, forum attachments) goes through
:func:`sanitise_image`. Nothing the member uploaded is stored as sent: the pixels are decoded
and written out again as WebP, which drops EXIF (GPS position, camera serial), ICC profiles,
comments and anything smuggled after the image data.

Decoding is where an upload costs memory (width * height * 3 or 4 bytes, whatever the file's
size), so the order is: byte size, then format and dimensions from the header alone, then a
decode slot (at most ``KANTA_UPLOAD_DECODE_CONCURRENCY`` per process), then the decode itself
at the smallest scale the output needs. JPEG decodes at 1/2, 1/4 or 1/8 scale (``draft``);
other formats cannot, so they are held to the lower ``KANTA_UPLOAD_MAX_PIXELS_FULL_DECODE``
and no full-size copy is made after the decode. Figures: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import io
import secrets
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Formats whose decoder can produce a reduced image directly (Pillow's ``draft``).
DRAFT_FORMATS = {"JPEG"}

_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class CleanImage:
    file: ContentFile
    width: int
    height: int


def _limit_error(message: str, code: str, **params: object) -> ValidationError:
    return ValidationError(message, code=code, params=params)


# --- decode slots ------------------------------------------------------------------------

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_slots_size = 0


def _decode_slots() -> threading.BoundedSemaphore:
    """The process's semaphore, rebuilt if the setting changed (tests override it)."""
    global _slots, _slots_size
    size = max(1, int(settings.KANTA_UPLOAD_DECODE_CONCURRENCY))
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the process's image-decode slots, or refuse with a form error.

    Waiting is bounded: a member whose upload cannot start within
    ``KANTA_UPLOAD_DECODE_WAIT_SECONDS`` is told to try again rather than left queueing
    behind a burst of uploads (each of which holds tens of megabytes while it decodes)."""
    slots = _decode_slots()
    if not slots.acquire(timeout=settings.KANTA_UPLOAD_DECODE_WAIT_SECONDS):
        raise _limit_error(_("The server is busy processing other images. Try again in a moment."), "busy")
    try:
        yield
    finally:
        slots.release()


# --- sanitising --------------------------------------------------------------------------


def _draft_size(width: int, height: int, *, square: int | None, max_side: int) -> tuple[int, int]:
    """The smallest size the decoder may reduce to and still leave enough pixels for the
    output: both sides ≥ ``square``, or the long side ≥ ``max_side`` (rounded up, so the
    decoder never picks a scale that leaves the output short of a pixel)."""
    if square:
        return (min(width, square), min(height, square))
    long_side = max(width, height)
    if long_side <= max_side:
        return (width, height)
    return (-(-width * max_side // long_side), -(-height * max_side // long_side))


def sanitise_image(
    upload: UploadedFile,
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    square: int | None = None,
    max_side: int = 2048,
) -> CleanImage:
    """Validate ``upload`` and return a re-encoded WebP copy.

    ``square`` crops to a centred square of that many pixels (avatars); otherwise the
    image keeps its proportions and its longest side is at most ``max_side``.
    Raises ``ValidationError`` with a message meant for the member.
    """
    max_bytes = max_bytes or settings.KANTA_UPLOAD_MAX_BYTES
    max_pixels = max_pixels or settings.KANTA_UPLOAD_MAX_PIXELS

    if upload.size is not None and upload.size > max_bytes:
        raise _limit_error(
            _("The file is %(size)s; images can be at most %(limit)s."),
            "too_large",
            size=filesizeformat(upload.size),
            limit=filesizeformat(max_bytes),
        )

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, raises) on huge images; we apply our
            # own, lower limit from the header before any pixel is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)  # reads the header only
            image_format = image.format
            width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError):
        # A decompression bomb is reported the same way as any other unreadable file to
        # avoid telling an attacker which limit they hit.
        raise _limit_error(_("Upload a JPEG, PNG, WebP or GIF image."), "invalid_image") from None

    if image_format not in ALLOWED_FORMATS:
        raise _limit_error(_("Upload a JPEG, PNG, WebP or GIF image."), "invalid_image")
    if image_format not in DRAFT_FORMATS:
        # Decoded at full size: the lower limit bounds that decode's memory.
        max_pixels = min(max_pixels, settings.KANTA_UPLOAD_MAX_PIXELS_FULL_DECODE)
    if width * height > max_pixels:
        raise _limit_error(
            _("The image is %(width)s × %(height)s pixels; the limit is %(limit)s megapixels."),
            "too_many_pixels",
            width=width,
            height=height,
            limit=max_pixels // 1_000_000,
        )

    with decode_slot():
        decoded = _decode_reduced(image, width=width, height=height, square=square, max_side=max_side)
        buffer = io.BytesIO()
        decoded.save(buffer, format="WEBP", quality=85, method=4)
    name = f"{secrets.token_hex(12)}.webp"
    return CleanImage(
        file=ContentFile(buffer.getvalue(), name=name), width=decoded.width, height=decoded.height
    )


def _decode_reduced(
    image: Image.Image, *, width: int, height: int, square: int | None, max_side: int
) -> Image.Image:
    """Decode the first frame at the smallest scale the output allows and return the output:
    oriented, RGB(A), cropped or bounded, in a fresh image that carries no metadata."""
    try:
        image.seek(0)  # the first frame of an animation
        if image.format in DRAFT_FORMATS:
            image.draft(
                "RGB" if image.mode == "RGB" else None,
                _draft_size(width, height, square=square, max_side=max_side),
            )
        image.load()
        # Read from what the header already parsed: no second decode.
        orientation = image.getexif().get(_ORIENTATION_TAG)
    except Exception:  # truncated or corrupt pixel data
        raise _limit_error(_("The image file is damaged and could not be read."), "damaged") from None

    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        # The one full-size copy a paletted or greyscale image needs (resampling a palette
        # would pick nearest colours); the original is released straight after.
        converted = image.convert(mode)
        image.close()
        image = converted

    # Shrink first, orient after: a centred square crop and a square bounding box commute
    # with the eight EXIF transpositions, and turning the small image costs nothing.
    if square:
        image = ImageOps.fit(image, (square, square), method=Image.Resampling.LANCZOS)
    elif max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # in place
    if orientation in _TRANSPOSE_FOR_ORIENTATION:
        image = image.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])

    # A fresh image object carries no info dict at all, so no metadata can ride along.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean

"""Member image uploads: checked, decoded within limits, re-encoded without metadata.

Every image a member sends (avatars now; review photos and forum attachments later) goes
through :func:`sanitise_image`. Nothing the member uploaded is stored as sent: the pixels
are decoded and written out again as WebP, which drops EXIF (GPS position, camera serial),
ICC profiles, comments and anything smuggled after the image data.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


@dataclass(frozen=True)
class CleanImage:
    file: ContentFile
    width: int
    height: int


def _limit_error(message: str, code: str, **params: object) -> ValidationError:
    return ValidationError(message, code=code, params=params)


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
            image = Image.open(upload)
            image_format = image.format
            width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError):
        # A decompression bomb is reported the same way as any other unreadable file to
        # avoid telling an attacker which limit they hit.
        raise _limit_error(_("Upload a JPEG, PNG, WebP or GIF image."), "invalid_image") from None

    if image_format not in ALLOWED_FORMATS:
        raise _limit_error(_("Upload a JPEG, PNG, WebP or GIF image."), "invalid_image")
    if width * height > max_pixels:
        raise _limit_error(
            _("The image is %(width)s × %(height)s pixels; the limit is %(limit)s megapixels."),
            "too_many_pixels",
            width=width,
            height=height,
            limit=max_pixels // 1_000_000,
        )

    try:
        image.seek(0)  # the first frame of an animation
        image.load()
        image = ImageOps.exif_transpose(image)
    except Exception:  # truncated or corrupt pixel data
        raise _limit_error(_("The image file is damaged and could not be read."), "damaged") from None

    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if square:
        image = ImageOps.fit(image, (square, square), method=Image.Resampling.LANCZOS)
    elif max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    # A fresh image object carries no info dict at all, so no metadata can ride along.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, format="WEBP", quality=85, method=4)
    name = f"{secrets.token_hex(12)}.webp"
    return CleanImage(file=ContentFile(buffer.getvalue(), name=name), width=clean.width, height=clean.height)

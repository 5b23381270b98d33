"""Demo pictures drawn with Pillow, so the demo world needs no downloads.

Deterministic for a given seed: the same demo looks the same on every machine.
"""

from __future__ import annotations

import io
import itertools
import random

from PIL import Image, ImageDraw, ImageFilter

# (sky top, sky horizon, sun, far ridge, near ridge, ground) — northern light palettes.
PALETTES = {
    "dawn": ("#2b3a67", "#f4a259", "#ffe8a3", "#7a6c8f", "#3c4f63", "#1d2b2a"),
    "winter": ("#9cc4e4", "#e9f1f7", "#fff6d8", "#b8cde0", "#7e98b0", "#e8eef3"),
    "forest": ("#5f9ea0", "#d7ecd9", "#fffbe0", "#6d8f7a", "#335c4a", "#1f3b2d"),
    "dusk": ("#1b1b3a", "#d1495b", "#ffcf70", "#5b3a5e", "#2e2442", "#150f22"),
    "fell": ("#4a6fa5", "#c9dff2", "#fff3c4", "#8aa1b1", "#51707f", "#2f4a44"),
}


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return (int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16))


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    height = size[1]
    column = Image.new("RGB", (1, height))
    for y in range(height):
        column.putpixel((0, y), _mix(top, bottom, (y / max(1, height - 1)) ** 0.9))
    return column.resize(size)


def _ridge(rng: random.Random, width: int, base: float, roughness: float, points: int = 9) -> list[float]:
    """Midpoint displacement: a natural-looking mountain line."""
    heights = [base + rng.uniform(-roughness, roughness) for _ in range(2)]
    displacement = roughness
    while len(heights) < points * 8:
        refined = []
        for left, right in itertools.pairwise(heights):
            refined += [left, (left + right) / 2 + rng.uniform(-displacement, displacement)]
        refined.append(heights[-1])
        heights = refined
        displacement *= 0.55
    step = width / (len(heights) - 1)
    line = []
    for x in range(width + 1):
        position = x / step
        index = min(int(position), len(heights) - 2)
        frac = position - index
        line.append(heights[index] * (1 - frac) + heights[index + 1] * frac)
    return line


def landscape(width: int = 1600, height: int = 900, *, seed: int = 1, palette: str = "fell") -> bytes:
    """A layered mountain landscape with sun, ridges, a lake and pines, as JPEG bytes."""
    rng = random.Random(seed)
    sky_top, horizon, sun, far, near, ground = (_hex(c) for c in PALETTES[palette])
    image = _gradient((width, height), sky_top, horizon)

    glow = Image.new("L", (width, height), 0)
    sun_x, sun_y, radius = rng.uniform(0.2, 0.8) * width, rng.uniform(0.25, 0.42) * height, height * 0.07
    ImageDraw.Draw(glow).ellipse(
        (sun_x - radius * 3, sun_y - radius * 3, sun_x + radius * 3, sun_y + radius * 3), fill=110
    )
    glow = glow.filter(ImageFilter.GaussianBlur(radius * 1.6))
    image.paste(Image.new("RGB", (width, height), sun), mask=glow)
    ImageDraw.Draw(image).ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=sun)

    layers = 4
    for layer in range(layers):
        t = layer / (layers - 1)
        color = _mix(_mix(far, horizon, 0.35), near, t)
        base = height * (0.42 + 0.11 * layer)
        line = _ridge(rng, width, base, height * (0.22 - 0.045 * layer), points=5 + layer * 2)
        mask = Image.new("L", (width, height), 0)
        ImageDraw.Draw(mask).polygon(
            [(0, height)] + [(x, y) for x, y in enumerate(line)] + [(width, height)], fill=255
        )
        if layer < 2:
            mask = mask.filter(ImageFilter.GaussianBlur(1.5 - layer * 0.7))
        image.paste(Image.new("RGB", (width, height), color), mask=mask)

    # A still lake across the lower third reflects the sky.
    lake_top = int(height * 0.8)
    lake = image.crop((0, lake_top - (height - lake_top), width, lake_top)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM
    )
    lake = Image.blend(lake, Image.new("RGB", lake.size, _mix(sky_top, ground, 0.4)), 0.45)
    image.paste(lake, (0, lake_top))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        y = rng.uniform(lake_top + 4, height)
        x = rng.uniform(0, width)
        draw.line((x, y, x + rng.uniform(20, 120), y), fill=_mix(horizon, ground, 0.3), width=1)

    # Pines on the near shore, darker and larger in front.
    shore = lake_top
    for _ in range(int(width / 22)):
        x = rng.uniform(-20, width + 20)
        tree_h = rng.uniform(0.08, 0.22) * height
        tree_w = tree_h * rng.uniform(0.28, 0.36)
        color = _mix(ground, (0, 0, 0), rng.uniform(0.1, 0.4))
        for tier in range(5):
            top = shore - tree_h + tier * tree_h * 0.16
            spread = tree_w * (0.35 + tier * 0.16)
            draw.polygon(
                [(x, top), (x - spread, top + tree_h * 0.3), (x + spread, top + tree_h * 0.3)], fill=color
            )
        draw.rectangle((x - 2, shore - tree_h * 0.1, x + 2, shore + 2), fill=color)
    draw.rectangle((0, shore - 2, width, shore + 3), fill=_mix(ground, near, 0.5))

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=86, optimize=True, progressive=True)
    return buffer.getvalue()


def portrait(initials: str, *, hue: int, size: int = 512, seed: int = 1) -> bytes:
    """A friendly abstract avatar: soft gradient, a mountain motif and the member's initials."""
    rng = random.Random(seed)

    def hsl(h: float, s: float, lightness: float) -> tuple[int, int, int]:
        import colorsys

        r, g, b = colorsys.hls_to_rgb((h % 360) / 360, lightness, s)
        return (round(r * 255), round(g * 255), round(b * 255))

    image = _gradient((size, size), hsl(hue, 0.55, 0.62), hsl(hue + 40, 0.6, 0.38))
    draw = ImageDraw.Draw(image)
    peak = rng.uniform(0.35, 0.65) * size
    draw.polygon(
        [
            (0, size),
            (peak - size * 0.45, size * 0.62),
            (peak, size * 0.42),
            (peak + size * 0.5, size * 0.7),
            (size, size),
        ],
        fill=hsl(hue + 20, 0.4, 0.28),
    )
    circle = size * 0.09
    cx, cy = size * rng.uniform(0.68, 0.82), size * 0.24
    draw.ellipse((cx - circle, cy - circle, cx + circle, cy + circle), fill=hsl(hue + 180, 0.7, 0.85))
    try:
        from PIL import ImageFont

        font = ImageFont.load_default(size=int(size * 0.3))
    except (TypeError, OSError):
        font = None
    if font is not None:
        bbox = draw.textbbox((0, 0), initials, font=font)
        tx = (size - (bbox[2] - bbox[0])) / 2 - bbox[0]
        ty = size * 0.52 - (bbox[3] - bbox[1]) / 2 - bbox[1]
        draw.text((tx + 3, ty + 3), initials, font=font, fill=(0, 0, 0, 90))
        draw.text((tx, ty), initials, font=font, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

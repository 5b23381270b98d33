"""Demo pictures drawn with Pillow, so the demo world needs no downloads: landscapes for
heroes, portraits for avatars and authors, studio shots of gear. Every app's demo draws with
them (content's pages and products, membership's avatars, community's reviews, forum and events).

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


# --- Product shots ------------------------------------------------------------------------------
#
# Stylised studio photos of gear: each kind is drawn flat on a transparent layer in unit
# coordinates (0..1), lit with a soft diagonal light, set on a gradient sweep with a soft
# shadow, and drawn at twice the output size so every edge comes out anti-aliased.

# (background centre, background edge, main, second, accent)
PRODUCT_PALETTES = {
    "snow": ("#f7f9fc", "#d9e2ec", "#2f5d8a", "#e6ebf1", "#f2a541"),
    "birch": ("#faf6ef", "#e4d8c6", "#2b2b30", "#cdbb9f", "#d1495b"),
    "lingonberry": ("#fcf3f3", "#ecd3d3", "#b3263a", "#f1e4e4", "#2b2d42"),
    "moss": ("#f3f7f1", "#d5e1cf", "#3d6b4f", "#e7eee3", "#f2c14e"),
    "fjord": ("#f0f6f8", "#cfe0e7", "#1f5673", "#d7e7ee", "#ff7f50"),
    "ember": ("#fff6ee", "#f1d8c2", "#e0602a", "#2e2e38", "#ffd166"),
    "night": ("#eceef5", "#c9cee0", "#2b2d42", "#8d99ae", "#ef8354"),
    "cloudberry": ("#fff9ec", "#f3e2b8", "#f29f05", "#3b3b3b", "#2a9d8f"),
    "lichen": ("#f4f6f2", "#d8ddd2", "#8a9a5b", "#3f4a3c", "#e76f51"),
    "aurora": ("#eef8f5", "#cbe7df", "#17876d", "#1d2b3a", "#b388eb"),
}

_RUBBER = (40, 41, 46)
_STEEL = (176, 184, 194)
_WHITE = (250, 250, 248)


def _shade(color: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Lighten (amount > 0, towards white) or darken (amount < 0, towards black)."""
    return _mix(color, (255, 255, 255), amount) if amount >= 0 else _mix(color, (0, 0, 0), -amount)


def _smooth(
    points: list[tuple[float, float]], *, closed: bool = True, samples: int = 8
) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points: organic outlines from a few control points."""
    count = len(points)
    if count < 3:
        return list(points)
    out = []
    segments = count if closed else count - 1
    for i in range(segments):
        p0 = points[(i - 1) % count] if closed or i > 0 else points[0]
        p1 = points[i]
        p2 = points[(i + 1) % count]
        p3 = points[(i + 2) % count] if closed or i + 2 < count else points[-1]
        for step in range(samples):
            t = step / samples
            t2, t3 = t * t, t * t * t
            x, y = (
                0.5
                * (
                    2 * p1[k]
                    + (-p0[k] + p2[k]) * t
                    + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                    + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3
                )
                for k in (0, 1)
            )
            out.append((x, y))
    if not closed:
        out.append(points[-1])
    return out


def _font(size: int):
    from PIL import ImageFont

    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        return ImageFont.load_default()


class _Pen:
    """Draws on a transparent square layer in unit coordinates."""

    def __init__(self, size: int, width: float = 1, height: float = 1):
        self.size = size  # pixels per unit
        self.layer = Image.new("RGBA", (round(width * size), round(height * size)), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.layer)

    def p(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.size, y * self.size)

    def w(self, width: float) -> int:
        return max(1, round(width * self.size))

    def poly(self, points, fill, *, smooth: bool = False, samples: int = 8, clip: bool = False) -> None:
        """A filled outline; clip=True paints only over what is already drawn."""
        points = _smooth(points, samples=samples) if smooth else points
        if not clip:
            self.draw.polygon([self.p(x, y) for x, y in points], fill=fill)
            return
        from PIL import ImageChops

        mask = Image.new("L", self.layer.size, 0)
        ImageDraw.Draw(mask).polygon([self.p(x, y) for x, y in points], fill=255)
        mask = ImageChops.multiply(mask, self.layer.getchannel("A"))
        self.layer.paste(Image.new("RGBA", self.layer.size, (*fill, 255)), mask=mask)

    def line(self, points, fill, width: float, *, smooth: bool = False, joint: str | None = "curve") -> None:
        points = _smooth(points, closed=False) if smooth else points
        self.draw.line([self.p(x, y) for x, y in points], fill=fill, width=self.w(width), joint=joint)
        radius = width / 2
        for x, y in (points[0], points[-1]):
            self.ellipse(x, y, radius * 0.98, radius * 0.98, fill)

    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, fill=None, *, outline=None, width: float = 0
    ) -> None:
        box = (*self.p(cx - rx, cy - ry), *self.p(cx + rx, cy + ry))
        self.draw.ellipse(box, fill=fill, outline=outline, width=self.w(width) if outline else 0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill, *, radius: float = 0) -> None:
        box = (*self.p(x0, y0), *self.p(x1, y1))
        if radius:
            self.draw.rounded_rectangle(box, radius=radius * self.size, fill=fill)
        else:
            self.draw.rectangle(box, fill=fill)

    def arc(self, cx, cy, rx, ry, start, end, fill, width: float) -> None:
        box = (*self.p(cx - rx, cy - ry), *self.p(cx + rx, cy + ry))
        self.draw.arc(box, start, end, fill=fill, width=self.w(width))

    def text(self, x: float, y: float, text: str, fill, height: float, *, anchor: str = "mm") -> None:
        self.draw.text(
            self.p(x, y), text, fill=fill, font=_font(max(8, round(height * self.size))), anchor=anchor
        )

    def glow(self, cx: float, cy: float, radius: float, color, strength: int = 200) -> None:
        """A soft translucent light, e.g. a lens or LED."""
        px = round(radius * self.size * 2.2)
        spot = Image.new("L", (px * 2, px * 2), 0)
        ImageDraw.Draw(spot).ellipse((px * 0.55, px * 0.55, px * 1.45, px * 1.45), fill=strength)
        spot = spot.filter(ImageFilter.GaussianBlur(px * 0.25))
        tint = Image.new("RGBA", spot.size, (*color, 0))
        tint.putalpha(spot)
        x, y = self.p(cx, cy)
        self.layer.alpha_composite(tint, (round(x - px), round(y - px)))

    def sprite(self, width: float, height: float) -> _Pen:
        """A separate pen for a part that will be rotated and placed (skis, poles, tubes);
        its own coordinates run from (0, 0) to (width, height) in this pen's units."""
        return _Pen(self.size, width, height)

    def place(self, sprite: _Pen, cx: float, cy: float, angle: float = 0) -> None:
        image = sprite.layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        x, y = self.p(cx, cy)
        self.layer.alpha_composite(image, (round(x - image.width / 2), round(y - image.height / 2)))


def _draw_tyre(pen: _Pen, rng: random.Random, main, second, accent, variant: str) -> None:
    import math

    fat = variant == "fat"
    studded = variant != "friction"
    cx, cy, radius = 0.44, 0.5, 0.36
    squash = 0.78  # the wheel is turned a little towards the camera
    depth = 0.13 if fat else 0.085  # tread width as seen from this angle
    rubber = _RUBBER
    tread = _shade(rubber, 0.08)

    # Tread band: the far sidewall, the hull between both sidewalls.
    pen.ellipse(cx + depth, cy, radius * squash, radius, rubber)
    pen.rect(cx, cy - radius, cx + depth, cy + radius, rubber)
    # Knobs across the tread, staggered, with carbide studs on the shoulders.
    rows = [0.12, 0.38, 0.62, 0.88] if fat else [0.14, 0.5, 0.86]
    steps = 30 if fat else 38
    for i in range(steps):
        phi = -math.pi / 2 + math.pi * (i + 0.5) / steps
        for r_index, t in enumerate(rows):
            offset = (0.5 / steps) * math.pi if (i + r_index) % 2 else 0
            a = phi + offset
            if math.cos(a) < 0.04:
                continue
            half_a = math.pi / steps * (0.34 if fat else 0.3)
            half_t = (0.09 if fat else 0.12) * (1 if t in (rows[0], rows[-1]) else 0.8)
            quad = []
            for da, dt in ((-half_a, -half_t), (half_a, -half_t), (half_a, half_t), (-half_a, half_t)):
                x = cx + (t + dt) * depth + radius * 1.012 * squash * math.cos(a + da)
                y = cy + radius * 1.012 * math.sin(a + da)
                quad.append((x, y))
            light = 0.05 + 0.12 * math.cos(a) * (1 - abs(math.sin(a)))
            pen.poly(quad, _shade(tread, light))
            if (
                studded
                and (r_index in (0, len(rows) - 1) or (fat and r_index == 1))
                and i % (2 if fat else 1) == 0
            ):
                sx = cx + t * depth + radius * 1.012 * squash * math.cos(a)
                sy = cy + radius * 1.012 * math.sin(a)
                size = 0.0075 * (0.45 + 0.55 * math.cos(a))
                pen.ellipse(sx, sy, size, size, (120, 126, 134))
                pen.ellipse(sx - size * 0.25, sy - size * 0.25, size * 0.45, size * 0.45, (235, 238, 242))

    # Near sidewall, reflective stripe and printed lettering.
    pen.ellipse(cx, cy, radius * squash, radius, _shade(rubber, 0.04))
    pen.ellipse(cx, cy, radius * squash * 0.86, radius * 0.86, outline=(206, 211, 218), width=0.008)
    for k in range(9):
        a = math.radians(-125 + k * 7.5)
        pen.line(
            [
                (cx + 0.925 * radius * squash * math.cos(a), cy + 0.925 * radius * math.sin(a)),
                (cx + 0.925 * radius * squash * math.cos(a + 0.06), cy + 0.925 * radius * math.sin(a + 0.06)),
            ],
            (150, 152, 158),
            0.007,
        )
    # Rim, spokes and hub.
    rim_r = 0.8 if not fat else 0.74
    pen.ellipse(cx, cy, radius * squash * rim_r, radius * rim_r, main)
    pen.ellipse(cx, cy, radius * squash * (rim_r - 0.03), radius * (rim_r - 0.03), _shade(main, 0.25))
    inner = rim_r - 0.09
    pen.ellipse(cx, cy, radius * squash * (rim_r - 0.06), radius * (rim_r - 0.06), _shade(main, -0.2))
    hole = Image.new("L", (pen.size, pen.size), 0)
    ImageDraw.Draw(hole).ellipse(
        (
            *pen.p(cx - radius * squash * inner, cy - radius * inner),
            *pen.p(cx + radius * squash * inner, cy + radius * inner),
        ),
        fill=255,
    )
    alpha = pen.layer.getchannel("A")
    alpha.paste(0, mask=hole)
    pen.layer.putalpha(alpha)
    spokes = 32
    for k in range(spokes):
        a = 2 * math.pi * k / spokes
        hub_a = a + (0.35 if k % 2 else -0.35)
        pen.line(
            [
                (cx + 0.045 * squash * math.cos(hub_a), cy + 0.045 * math.sin(hub_a)),
                (cx + radius * squash * inner * math.cos(a), cy + radius * inner * math.sin(a)),
            ],
            (150, 156, 166),
            0.0035,
            joint=None,
        )
    pen.ellipse(cx, cy, 0.05 * squash, 0.05, _shade(_STEEL, -0.15))
    pen.ellipse(cx, cy, 0.035 * squash, 0.035, _STEEL)
    pen.ellipse(cx, cy, 0.012, 0.012, _shade(_STEEL, -0.45))


def _draw_skis(pen: _Pen, rng: random.Random, main, second, accent, variant: str) -> None:
    wide = variant == "backcountry"
    length, width = 0.84, 0.078 if wide else 0.066
    pad = 0.01
    for index, (cx, cy, angle) in enumerate(((0.445, 0.5, 4.0), (0.565, 0.52, -3.0))):
        sprite = pen.sprite(width + 2 * pad, length + 2 * pad)
        x0, x1, mid = pad, pad + width, pad + width / 2
        top, bottom = pad, pad + length
        waist = width * (0.1 if wide else 0.05)
        outline = [
            (mid, top),
            (mid + width * 0.3, top + 0.018),
            (x1, top + 0.07),
            (x1 - waist, top + length * 0.5),
            (x1, bottom - 0.03),
            (x1 - 0.003, bottom),
            (x0 + 0.003, bottom),
            (x0, bottom - 0.03),
            (x0 + waist, top + length * 0.5),
            (x0, top + 0.07),
            (mid - width * 0.3, top + 0.018),
        ]
        sprite.poly(outline, _shade(main, -0.4), smooth=True, samples=10)
        inset = [(mid + (x - mid) * 0.82, y + (0.007 if y < 0.45 else -0.005)) for x, y in outline]
        sprite.poly(inset, main, smooth=True, samples=10)
        # Topsheet graphics: a long stripe, a diagonal flash near the tip and the tail.
        sprite.rect(mid - 0.0035, top + 0.06, mid + 0.0035, bottom - 0.02, second)
        flash = top + 0.15 + index * 0.012
        sprite.poly(
            [
                (x0 + 0.004, flash),
                (x1 - 0.004, flash - 0.045),
                (x1 - 0.004, flash - 0.02),
                (x0 + 0.004, flash + 0.025),
            ],
            accent,
        )
        tail = bottom - 0.15
        sprite.poly(
            [
                (x0 + 0.004, tail),
                (x1 - 0.004, tail - 0.035),
                (x1 - 0.004, tail - 0.02),
                (x0 + 0.004, tail + 0.015),
            ],
            accent,
        )
        # Binding, a little behind the middle.
        b_top = top + length * 0.47
        sprite.rect(mid - width * 0.34, b_top, mid + width * 0.34, b_top + 0.12, (34, 35, 40), radius=0.008)
        sprite.rect(
            mid - width * 0.28, b_top + 0.008, mid + width * 0.28, b_top + 0.032, accent, radius=0.006
        )
        sprite.rect(
            mid - width * 0.2, b_top + 0.05, mid + width * 0.2, b_top + 0.11, (62, 64, 72), radius=0.005
        )
        # Gloss along one edge.
        sprite.line(
            [(x0 + 0.011, top + 0.1), (x0 + 0.011 + waist * 0.6, top + length * 0.42)],
            _shade(main, 0.35),
            0.004,
        )
        pen.place(sprite, cx, cy, angle)


def _draw_poles(pen: _Pen, rng: random.Random, main, second, accent, variant: str) -> None:
    for cx, cy, angle, flip in ((0.45, 0.5, 6, 1), (0.55, 0.5, -6, -1)):
        w, h = 0.18, 0.88
        sprite = pen.sprite(w, h)
        mid, top, bottom = w / 2, 0.01, h - 0.01
        half = 0.0065
        sprite.rect(mid - half, top + 0.05, mid + half, bottom - 0.02, main)
        sprite.rect(mid - half * 0.5, top + 0.05, mid - half * 0.05, bottom - 0.04, _shade(main, 0.4))
        # Strap loop, grip and collar.
        sprite.line(
            [
                (mid, top + 0.02),
                (mid + flip * 0.05, top + 0.05),
                (mid + flip * 0.065, top + 0.13),
                (mid + flip * 0.035, top + 0.16),
                (mid + flip * 0.01, top + 0.1),
            ],
            accent,
            0.013,
            smooth=True,
        )
        grip = [
            (mid - 0.02, top + 0.012),
            (mid + 0.017, top),
            (mid + 0.02, top + 0.05),
            (mid + 0.014, top + 0.14),
            (mid - 0.014, top + 0.14),
            (mid - 0.017, top + 0.06),
        ]
        sprite.poly(grip, (46, 40, 38), smooth=True)
        sprite.line([(mid - 0.007, top + 0.03), (mid - 0.009, top + 0.12)], (96, 84, 76), 0.004)
        sprite.rect(mid - 0.015, top + 0.135, mid + 0.015, top + 0.15, second, radius=0.004)
        # Asymmetric racing basket and steel tip.
        b = bottom - 0.07
        sprite.poly(
            [
                (mid - 0.012, b - 0.012),
                (mid + 0.055, b - 0.006),
                (mid + 0.057, b + 0.006),
                (mid - 0.014, b + 0.012),
            ],
            (38, 38, 44),
            smooth=True,
            samples=4,
        )
        sprite.poly([(mid - half, bottom - 0.02), (mid + half, bottom - 0.02), (mid, bottom + 0.008)], _STEEL)
        pen.place(sprite, cx, cy, angle)


def _draw_boot(pen: _Pen, rng: random.Random, main, second, accent, variant: str) -> None:
    high = variant in {"skate", "backcountry"}
    collar_top = 0.21 if high else 0.3
    upper = [
        (0.15, 0.66),
        (0.14, 0.54),
        (0.155, 0.4),
        (0.19, collar_top + 0.01),
        (0.27, collar_top),
        (0.35, collar_top + 0.01),
        (0.4, 0.37),
        (0.55, 0.425),
        (0.72, 0.465),
        (0.83, 0.5),
        (0.875, 0.57),
        (0.87, 0.66),
    ]
    pen.poly(upper, main, smooth=True)
    # Lower panel in shadow, the welt line and a stripe.
    pen.poly([(0.1, 0.6), (0.5, 0.605), (0.9, 0.6), (0.9, 0.66), (0.1, 0.66)], _shade(main, -0.22), clip=True)
    pen.line([(0.2, 0.585), (0.5, 0.59), (0.85, 0.585)], _shade(main, 0.3), 0.003, smooth=True)
    pen.poly([(0.42, 0.6), (0.56, 0.46), (0.6, 0.47), (0.48, 0.6)], accent, smooth=True, samples=4)
    # Zip cover over the laces.
    cover = [
        (0.36, collar_top + 0.02),
        (0.41, 0.375),
        (0.56, 0.43),
        (0.77, 0.475),
        (0.75, 0.515),
        (0.55, 0.475),
        (0.37, 0.42),
        (0.33, collar_top + 0.04),
    ]
    pen.poly(cover, second, smooth=True)
    pen.line(
        [(0.345, collar_top + 0.04), (0.39, 0.4), (0.56, 0.455), (0.76, 0.495)],
        _shade(second, -0.35),
        0.005,
        smooth=True,
    )
    pen.rect(0.33, collar_top + 0.035, 0.355, collar_top + 0.085, accent, radius=0.006)
    # Heel counter seam.
    pen.line([(0.15, 0.45), (0.21, 0.5), (0.26, 0.58), (0.28, 0.62)], _shade(main, -0.3), 0.018, smooth=True)
    if high:
        # A supportive ankle cuff with a strap.
        pen.poly(
            [
                (0.15, 0.46),
                (0.17, collar_top + 0.0),
                (0.27, collar_top - 0.02),
                (0.37, collar_top + 0.0),
                (0.38, 0.33),
                (0.28, 0.41),
                (0.19, 0.47),
            ],
            _shade(main, -0.5),
            smooth=True,
        )
        pen.rect(0.18, 0.29, 0.4, 0.325, accent, radius=0.012)
        pen.rect(0.35, 0.295, 0.395, 0.32, _STEEL, radius=0.008)
    # Collar padding and heel loop.
    pen.line(
        [(0.19, collar_top + 0.025), (0.27, collar_top + 0.012), (0.35, collar_top + 0.025)],
        _shade(main, 0.3),
        0.009,
        smooth=True,
    )
    pen.rect(0.13, collar_top + 0.02, 0.165, collar_top + 0.08, accent, radius=0.008)
    # Sole, with the binding bar sticking out at the toe.
    pen.rect(0.13, 0.645, 0.885, 0.705, (36, 37, 42), radius=0.018)
    pen.rect(0.875, 0.655, 0.905, 0.672, _STEEL, radius=0.006)
    for k in range(6):
        x = 0.22 + k * 0.1
        pen.line([(x, 0.695), (x + 0.04, 0.695)], (72, 74, 82), 0.006)


def _draw_shoe(pen: _Pen, rng: random.Random, main, second, accent, variant: str) -> None:
    spikes = variant == "spike"
    # Outsole with deep lugs.
    out_c = (38, 38, 44)
    pen.poly(
        [
            (0.1, 0.64),
            (0.5, 0.66),
            (0.82, 0.63),
            (0.9, 0.58),
            (0.91, 0.62),
            (0.85, 0.69),
            (0.5, 0.72),
            (0.12, 0.7),
        ],
        out_c,
        smooth=True,
        samples=6,
    )
    for k in range(12):
        x = 0.13 + k * 0.062
        y = 0.705 - (0.02 if x > 0.75 else 0) - (0.035 if x > 0.84 else 0)
        pen.poly([(x, y - 0.01), (x + 0.035, y - 0.01), (x + 0.03, y + 0.018), (x + 0.005, y + 0.018)], out_c)
        if spikes and k % 2 == 0:
            pen.ellipse(x + 0.018, y + 0.02, 0.008, 0.008, _STEEL)
    # Midsole foam with a rocker.
    pen.poly(
        [
            (0.1, 0.62),
            (0.14, 0.55),
            (0.5, 0.6),
            (0.78, 0.57),
            (0.88, 0.52),
            (0.91, 0.57),
            (0.84, 0.63),
            (0.5, 0.67),
            (0.11, 0.66),
        ],
        second,
        smooth=True,
        samples=6,
    )
    pen.line([(0.13, 0.63), (0.5, 0.645), (0.82, 0.61)], _shade(second, -0.12), 0.006, smooth=True)
    # Upper.
    upper = [
        (0.13, 0.57),
        (0.12, 0.45),
        (0.17, 0.36),
        (0.24, 0.37),
        (0.32, 0.4),
        (0.4, 0.33),
        (0.46, 0.36),
        (0.62, 0.45),
        (0.8, 0.5),
        (0.89, 0.54),
        (0.85, 0.58),
        (0.5, 0.61),
    ]
    pen.poly(upper, main, smooth=True)
    # Toe bumper, heel counter and two swept side stripes.
    pen.poly(
        [(0.78, 0.5), (0.89, 0.535), (0.88, 0.57), (0.8, 0.575), (0.74, 0.54)],
        _shade(main, -0.4),
        smooth=True,
    )
    pen.poly(
        [(0.12, 0.45), (0.17, 0.4), (0.26, 0.44), (0.27, 0.59), (0.13, 0.57)], _shade(main, -0.3), smooth=True
    )
    pen.line([(0.3, 0.585), (0.38, 0.5), (0.47, 0.42)], accent, 0.022, smooth=True)
    pen.line([(0.4, 0.595), (0.5, 0.5), (0.6, 0.455)], accent, 0.016, smooth=True)
    # Collar lining, tongue and laces.
    pen.poly(
        [(0.17, 0.36), (0.24, 0.37), (0.32, 0.4), (0.3, 0.42), (0.22, 0.4), (0.17, 0.39)],
        _shade(second, -0.05),
        smooth=True,
    )
    pen.poly([(0.38, 0.34), (0.43, 0.31), (0.47, 0.35), (0.44, 0.38)], _shade(main, -0.2), smooth=True)
    for k in range(5):
        x, y = 0.44 + k * 0.05, 0.375 + k * 0.027
        pen.line([(x - 0.02, y - 0.012), (x + 0.025, y + 0.012)], _WHITE, 0.008)
        pen.line([(x + 0.025, y - 0.016), (x - 0.015, y + 0.016)], _shade(_WHITE, -0.12), 0.008)
    pen.rect(0.115, 0.37, 0.14, 0.43, accent, radius=0.008)
    pen.line([(0.5, 0.6), (0.7, 0.55), (0.84, 0.555)], _shade(main, 0.35), 0.003, smooth=True)


def _garment(pen: _Pen, main, second, accent, *, hood: bool, zip_front: bool, sleeve_c=None) -> None:
    sleeve_c = sleeve_c or main
    left_sleeve = [
        (0.33, 0.2),
        (0.24, 0.25),
        (0.17, 0.45),
        (0.12, 0.74),
        (0.2, 0.76),
        (0.25, 0.52),
        (0.31, 0.38),
    ]
    pen.poly(left_sleeve, _shade(sleeve_c, -0.08), smooth=True)
    pen.poly([(1 - x, y) for x, y in left_sleeve], _shade(sleeve_c, -0.08), smooth=True)
    # Cuffs.
    pen.poly(
        [(0.115, 0.72), (0.205, 0.74), (0.2, 0.78), (0.11, 0.765)],
        _shade(sleeve_c, -0.4),
        smooth=True,
        samples=3,
    )
    pen.poly(
        [(0.885, 0.72), (0.795, 0.74), (0.8, 0.78), (0.89, 0.765)],
        _shade(sleeve_c, -0.4),
        smooth=True,
        samples=3,
    )
    body = [
        (0.33, 0.19),
        (0.42, 0.16),
        (0.58, 0.16),
        (0.67, 0.19),
        (0.69, 0.38),
        (0.67, 0.6),
        (0.7, 0.84),
        (0.5, 0.86),
        (0.3, 0.84),
        (0.33, 0.6),
        (0.31, 0.38),
    ]
    pen.poly(body, main, smooth=True)
    if hood:
        pen.poly(
            [(0.38, 0.2), (0.39, 0.1), (0.5, 0.06), (0.61, 0.1), (0.62, 0.2), (0.5, 0.23)],
            _shade(main, -0.1),
            smooth=True,
        )
        pen.poly(
            [(0.42, 0.2), (0.43, 0.13), (0.5, 0.1), (0.57, 0.13), (0.58, 0.2), (0.5, 0.22)],
            _shade(main, -0.5),
            smooth=True,
        )
        pen.rect(0.3, 0.83, 0.7, 0.86, _shade(main, -0.3), radius=0.01)
    else:
        pen.poly(
            [(0.42, 0.16), (0.5, 0.21), (0.58, 0.16), (0.56, 0.15), (0.5, 0.185), (0.44, 0.15)],
            _shade(main, -0.35),
            smooth=True,
        )
    # Shoulder yokes.
    yoke = _shade(main, -0.2)
    pen.poly([(0.33, 0.19), (0.42, 0.165), (0.45, 0.22), (0.32, 0.3)], yoke, smooth=True, samples=4)
    pen.poly([(0.67, 0.19), (0.58, 0.165), (0.55, 0.22), (0.68, 0.3)], yoke, smooth=True, samples=4)
    if zip_front:
        pen.line([(0.5, 0.2), (0.5, 0.85)], _shade(main, -0.45), 0.008, joint=None)
        pen.rect(0.492, 0.21, 0.508, 0.26, accent, radius=0.004)
        pen.line([(0.57, 0.3), (0.63, 0.27)], _shade(main, -0.45), 0.006)
        pen.rect(0.56, 0.29, 0.57, 0.32, accent, radius=0.003)
        pen.line([(0.33, 0.62), (0.36, 0.5)], _shade(main, -0.35), 0.005)
        pen.line([(0.67, 0.62), (0.64, 0.5)], _shade(main, -0.35), 0.005)
    # Highlights: a reflective strip on the back of the hem, seams.
    pen.line([(0.36, 0.4), (0.34, 0.8)], _shade(main, 0.12), 0.006, smooth=False)


def _draw_jacket(pen, rng, main, second, accent, variant):
    _garment(pen, main, second, accent, hood=variant != "wind", zip_front=True)


def _draw_base_layer(pen, rng, main, second, accent, variant):
    _garment(pen, main, second, main, hood=False, zip_front=False)
    # Flatlock seams.
    for points in ([(0.34, 0.2), (0.4, 0.3), (0.37, 0.85)], [(0.66, 0.2), (0.6, 0.3), (0.63, 0.85)]):
        seam = _smooth(points, closed=False)
        for a, b in itertools.pairwise(seam[::2]):
            pen.line([a, b], _shade(main, 0.3), 0.003, joint=None)
    # Heathered knit.
    noise_rng = random.Random(7)
    for _ in range(900):
        x, y = noise_rng.uniform(0.14, 0.86), noise_rng.uniform(0.16, 0.86)
        if pen.layer.getpixel(pen.p(x, y))[3]:
            pen.line(
                [(x, y), (x + 0.006, y)], _shade(main, noise_rng.choice((-0.08, 0.1))), 0.002, joint=None
            )


def _draw_vest(pen, rng, main, second, accent, variant):
    big = variant != "small"
    # Back panel seen through the neck opening.
    pen.poly(
        [(0.36, 0.16), (0.5, 0.12), (0.64, 0.16), (0.66, 0.5), (0.34, 0.5)], _shade(main, -0.45), smooth=True
    )
    for side in (-1, 1):

        def x(v: float, side: int = side) -> float:
            return 0.5 + side * (v - 0.5)

        panel = [
            (x(0.37), 0.15),
            (x(0.44), 0.16),
            (x(0.45), 0.3),
            (x(0.44), 0.6),
            (x(0.42), 0.8),
            (x(0.26), 0.8 if big else 0.72),
            (x(0.22), 0.62),
            (x(0.28), 0.4),
            (x(0.33), 0.22),
        ]
        pen.poly(panel, main, smooth=True)
        # Mesh.
        for row in range(14):
            for col in range(6):
                mx = x(0.26 + col * 0.028 + (row % 2) * 0.014)
                my = 0.42 + row * 0.027
                if my < (0.78 if big else 0.7) and pen.layer.getpixel(pen.p(mx, my))[3]:
                    pen.ellipse(mx, my, 0.005, 0.005, _shade(main, -0.2))
        # Soft flask with its bite valve.
        flask = [
            (x(0.34), 0.3),
            (x(0.42), 0.3),
            (x(0.43), 0.5),
            (x(0.41), 0.62),
            (x(0.35), 0.62),
            (x(0.33), 0.5),
        ]
        pen.poly(flask, (214, 232, 240), smooth=True)
        pen.poly([(x(0.355), 0.36), (x(0.365), 0.36), (x(0.37), 0.56), (x(0.36), 0.56)], (245, 250, 252))
        pen.rect(min(x(0.36), x(0.4)), 0.24, max(x(0.36), x(0.4)), 0.3, accent, radius=0.008)
        pen.rect(min(x(0.372), x(0.388)), 0.2, max(x(0.372), x(0.388)), 0.245, (36, 36, 40), radius=0.005)
        # Pocket band holding the flask.
        pen.poly([(x(0.32), 0.44), (x(0.44), 0.44), (x(0.44), 0.48), (x(0.32), 0.48)], _shade(main, -0.25))
        # Shoulder trim.
        pen.line([(x(0.37), 0.155), (x(0.33), 0.22), (x(0.28), 0.4)], second, 0.008, smooth=True)
    # Chest straps.
    for y in (0.36, 0.46):
        pen.line([(0.44, y), (0.56, y)], second, 0.008)
        pen.rect(0.49, y - 0.012, 0.51, y + 0.012, accent, radius=0.004)


def _draw_pannier(pen, rng, main, second, accent, variant):
    pen.rect(0.27, 0.26, 0.73, 0.84, main, radius=0.06)
    pen.rect(0.27, 0.76, 0.73, 0.84, _shade(main, -0.25), radius=0.05)
    # Roll-top closure.
    pen.rect(0.25, 0.16, 0.75, 0.28, _shade(main, 0.08), radius=0.04)
    for y in (0.2, 0.235):
        pen.line([(0.28, y), (0.72, y)], _shade(main, -0.2), 0.004)
    pen.rect(0.25, 0.16, 0.75, 0.18, _shade(main, 0.25), radius=0.01)
    # Mounting hooks behind the top edge.
    for hx in (0.36, 0.64):
        pen.rect(hx - 0.03, 0.12, hx + 0.03, 0.17, (34, 34, 38), radius=0.012)
    # Compression straps and buckles.
    for sx in (0.36, 0.64):
        pen.rect(sx - 0.018, 0.24, sx + 0.018, 0.62, second)
        pen.rect(sx - 0.028, 0.58, sx + 0.028, 0.66, (30, 30, 34), radius=0.01)
        pen.rect(sx - 0.018, 0.66, sx + 0.018, 0.78, second)
    # Reflective patch and a logo tab.
    pen.rect(0.43, 0.66, 0.57, 0.7, (215, 219, 224), radius=0.01)
    pen.rect(0.45, 0.4, 0.55, 0.46, accent, radius=0.01)
    pen.line([(0.3, 0.32), (0.3, 0.72)], _shade(main, 0.2), 0.006)


def _draw_headlamp(pen, rng, main, second, accent, variant):
    # The elastic band in perspective, with a woven pattern.
    cx, cy, rx, ry = 0.5, 0.5, 0.34, 0.17
    pen.ellipse(cx, cy, rx, ry, outline=_shade(main, -0.35), width=0.06)
    pen.arc(cx, cy - 0.005, rx, ry, 180, 360, _shade(main, -0.35), 0.06)
    pen.arc(cx, cy + 0.01, rx, ry, 0, 180, main, 0.06)
    for k in range(18):
        import math

        a = math.radians(10 + k * 9)
        x, y = cx + rx * math.cos(a), cy + 0.01 + ry * math.sin(a)
        pen.ellipse(x, y, 0.008, 0.008, accent)
    # Lamp housing at the front.
    pen.rect(0.38, 0.56, 0.62, 0.76, (42, 44, 50), radius=0.04)
    pen.rect(0.385, 0.565, 0.615, 0.6, (70, 72, 80), radius=0.03)
    pen.rect(0.47, 0.545, 0.53, 0.57, accent, radius=0.01)
    pen.ellipse(0.47, 0.67, 0.058, 0.058, _shade(_STEEL, -0.3))
    pen.ellipse(0.47, 0.67, 0.047, 0.047, (255, 250, 225))
    pen.glow(0.47, 0.67, 0.06, (255, 244, 200), 230)
    pen.ellipse(0.57, 0.66, 0.018, 0.018, (70, 20, 20))
    pen.ellipse(0.57, 0.66, 0.01, 0.01, (255, 90, 80))


def _draw_bike_light(pen, rng, main, second, accent, variant):
    # Beam first, so the body sits on top of it.
    beam = Image.new("L", (pen.size, pen.size), 0)
    ImageDraw.Draw(beam).polygon(
        [pen.p(0.74, 0.46), pen.p(1.0, 0.3), pen.p(1.0, 0.66), pen.p(0.74, 0.54)], fill=90
    )
    beam = beam.filter(ImageFilter.GaussianBlur(pen.size * 0.03))
    tint = Image.new("RGBA", beam.size, (255, 247, 214, 0))
    tint.putalpha(beam)
    pen.layer.alpha_composite(tint)
    # Handlebar clamp.
    pen.rect(0.4, 0.54, 0.5, 0.64, (36, 36, 40), radius=0.015)
    pen.ellipse(0.45, 0.66, 0.06, 0.03, outline=(36, 36, 40), width=0.014)
    # Body with cooling fins.
    pen.rect(0.2, 0.42, 0.72, 0.58, main, radius=0.06)
    pen.rect(0.22, 0.43, 0.7, 0.46, _shade(main, 0.3), radius=0.015)
    pen.rect(0.2, 0.54, 0.72, 0.58, _shade(main, -0.3), radius=0.04)
    for k in range(6):
        x = 0.26 + k * 0.035
        pen.line([(x, 0.47), (x, 0.55)], _shade(main, -0.35), 0.006)
    pen.rect(0.5, 0.4, 0.56, 0.43, accent, radius=0.008)
    pen.ellipse(0.6, 0.5, 0.01, 0.01, (80, 220, 120))
    # Lens facing forward.
    pen.ellipse(0.72, 0.5, 0.04, 0.085, _shade(_STEEL, -0.2))
    pen.ellipse(0.725, 0.5, 0.03, 0.07, (255, 252, 232))
    pen.glow(0.73, 0.5, 0.07, (255, 246, 210), 220)


def _draw_rear_light(pen, rng, main, second, accent, variant):
    pen.rect(0.36, 0.2, 0.64, 0.8, (30, 30, 34), radius=0.08)
    pen.rect(0.38, 0.22, 0.62, 0.78, (190, 24, 36), radius=0.07)
    pen.rect(0.4, 0.24, 0.46, 0.76, (222, 60, 70), radius=0.04)
    for y in (0.33, 0.45, 0.57, 0.69):
        pen.glow(0.5, y, 0.05, (255, 60, 60), 170)
        pen.ellipse(0.5, y, 0.022, 0.022, (255, 210, 200))
    pen.rect(0.46, 0.12, 0.54, 0.22, main, radius=0.02)
    pen.rect(0.46, 0.78, 0.54, 0.88, main, radius=0.02)
    pen.ellipse(0.5, 0.85, 0.02, 0.02, _shade(main, -0.3))


def _draw_lock(pen, rng, main, second, accent, variant):
    steel = (150, 157, 168)
    # The shackle: a thick steel U.
    pen.arc(0.5, 0.36, 0.16, 0.16, 180, 360, steel, 0.055)
    pen.rect(0.3125, 0.36, 0.3675, 0.66, steel)
    pen.rect(0.6325, 0.36, 0.6875, 0.66, steel)
    pen.arc(0.5, 0.36, 0.145, 0.145, 200, 300, _shade(steel, 0.5), 0.012)
    pen.rect(0.32, 0.38, 0.332, 0.6, _shade(steel, 0.5))
    pen.rect(0.3125, 0.58, 0.3675, 0.62, main)
    pen.rect(0.6325, 0.58, 0.6875, 0.62, main)
    # Crossbar with its key cylinder.
    pen.rect(0.2, 0.6, 0.8, 0.72, main, radius=0.06)
    pen.rect(0.22, 0.61, 0.78, 0.635, _shade(main, 0.3), radius=0.02)
    pen.rect(0.2, 0.69, 0.8, 0.72, _shade(main, -0.3), radius=0.04)
    pen.ellipse(0.745, 0.66, 0.038, 0.038, _STEEL)
    pen.rect(0.742, 0.64, 0.748, 0.68, (60, 60, 66))
    pen.rect(0.42, 0.635, 0.58, 0.685, second, radius=0.02)
    # A key lying in front.
    pen.ellipse(0.3, 0.82, 0.04, 0.04, accent)
    pen.ellipse(0.3, 0.82, 0.014, 0.014, (0, 0, 0, 0))
    pen.rect(0.335, 0.81, 0.48, 0.83, _STEEL, radius=0.006)
    pen.rect(0.44, 0.83, 0.45, 0.845, _STEEL)
    pen.rect(0.46, 0.83, 0.47, 0.85, _STEEL)


_WAX_COLOURS = [
    ("#2e8b57", "GREEN", "-10…-20°C"),
    ("#2f6db5", "BLUE", "-2…-10°C"),
    ("#7b4fa6", "VIOLET", "0…-3°C"),
]


def _wax_tin(pen, cx, cy, r, colour, label, temp, lid) -> None:
    h = r * 1.05
    ry = r * 0.32
    pen.ellipse(cx, cy + h, r, ry, _shade(colour, -0.35))
    pen.rect(cx - r, cy, cx + r, cy + h, colour)
    pen.rect(cx - r, cy + h * 0.12, cx + r, cy + h * 0.78, _WHITE)
    pen.rect(cx - r, cy + h * 0.12, cx + r, cy + h * 0.2, colour)
    pen.text(cx, cy + h * 0.42, label, _shade(colour, -0.3), r * 0.26)
    pen.text(cx, cy + h * 0.64, temp, (80, 80, 86), r * 0.14)
    pen.rect(cx - r, cy + h * 0.8, cx - r * 0.75, cy + h, _shade(colour, 0.25))
    pen.ellipse(cx, cy, r, ry, lid)
    pen.ellipse(cx, cy - ry * 0.08, r * 0.9, ry * 0.82, _shade(lid, 0.25))
    pen.ellipse(cx - r * 0.35, cy - ry * 0.2, r * 0.28, ry * 0.25, _shade(lid, 0.5))


def _draw_wax(pen, rng, main, second, accent, variant):
    if variant == "glide":
        # A boxed glide wax bar: top, front and side faces.
        pen.poly([(0.24, 0.42), (0.56, 0.34), (0.8, 0.42), (0.48, 0.5)], _shade(main, 0.25))
        pen.poly([(0.24, 0.42), (0.48, 0.5), (0.48, 0.72), (0.24, 0.63)], main)
        pen.poly([(0.48, 0.5), (0.8, 0.42), (0.8, 0.62), (0.48, 0.72)], _shade(main, -0.15))
        pen.poly([(0.5, 0.55), (0.78, 0.48), (0.78, 0.56), (0.5, 0.63)], _WHITE)
        pen.poly([(0.27, 0.46), (0.45, 0.52), (0.45, 0.56), (0.27, 0.5)], accent)
        pen.text(0.64, 0.555, "GLIDE · FLUORO-FREE", _shade(main, -0.5), 0.022)
        # A scraped-off block of wax beside the box.
        pen.poly([(0.2, 0.74), (0.34, 0.7), (0.44, 0.74), (0.3, 0.78)], _shade(accent, 0.35))
        pen.poly([(0.2, 0.74), (0.3, 0.78), (0.3, 0.8), (0.2, 0.76)], accent)
        pen.poly([(0.3, 0.78), (0.44, 0.74), (0.44, 0.76), (0.3, 0.8)], _shade(accent, -0.2))
        return
    positions = [(0.34, 0.36, 0.15), (0.66, 0.36, 0.15), (0.5, 0.5, 0.17)]
    for (cx, cy, r), (colour, label, temp) in zip(positions, _WAX_COLOURS, strict=True):
        _wax_tin(pen, cx, cy, r, _hex(colour), label, temp, _STEEL)


def _draw_klister(pen, rng, main, second, accent, variant):
    w, h = 0.2, 0.68
    sprite = pen.sprite(w, h)
    mid, top, bottom = w / 2, 0.01, h - 0.01
    half = 0.07
    sprite.poly(
        [
            (mid - half * 1.15, top + 0.04),
            (mid + half * 1.15, top + 0.04),
            (mid + half, bottom - 0.08),
            (mid - half, bottom - 0.08),
        ],
        main,
    )
    sprite.rect(mid - half * 1.25, top, mid + half * 1.25, top + 0.05, _shade(_STEEL, -0.1), radius=0.005)
    for k in range(4):
        sprite.line(
            [(mid - half * 1.2, top + 0.01 + k * 0.01), (mid + half * 1.2, top + 0.01 + k * 0.01)],
            _shade(_STEEL, -0.35),
            0.002,
        )
    sprite.rect(mid - half * 0.9, top + 0.18, mid + half * 0.9, top + 0.4, _WHITE, radius=0.01)
    sprite.text(mid, top + 0.25, "KLISTER", main, 0.03)
    sprite.text(mid, top + 0.33, "+5…-5°C", (70, 70, 76), 0.022)
    sprite.poly(
        [
            (mid - half * 0.22, bottom - 0.08),
            (mid + half * 0.22, bottom - 0.08),
            (mid + half * 0.14, bottom - 0.045),
            (mid - half * 0.14, bottom - 0.045),
        ],
        _STEEL,
    )
    sprite.rect(mid - half * 0.55, bottom - 0.05, mid + half * 0.55, bottom, (36, 36, 40), radius=0.01)
    sprite.line([(mid - half * 0.8, top + 0.07), (mid - half * 0.7, bottom - 0.1)], _shade(main, 0.35), 0.006)
    pen.place(sprite, 0.46, 0.47, -35)
    # A small plastic scraper beside it.
    pen.poly([(0.64, 0.72), (0.84, 0.68), (0.86, 0.76), (0.66, 0.8)], (120, 190, 230))
    pen.poly([(0.64, 0.72), (0.84, 0.68), (0.842, 0.695), (0.643, 0.735)], (170, 215, 240))


def _draw_mitt(pen, rng, main, second, accent, variant):
    def mitt(dx: float, dy: float, mirror: bool, tone: float) -> None:
        def q(x, y):
            return ((1 - x if mirror else x) + dx, y + dy)

        colour = _shade(main, tone)
        outline = [
            q(0.3, 0.74),
            q(0.26, 0.5),
            q(0.2, 0.42),
            q(0.21, 0.34),
            q(0.28, 0.36),
            q(0.32, 0.3),
            q(0.33, 0.18),
            q(0.39, 0.14),
            q(0.44, 0.17),
            q(0.47, 0.14),
            q(0.53, 0.16),
            q(0.55, 0.3),
            q(0.56, 0.5),
            q(0.53, 0.74),
        ]
        pen.poly(outline, colour, smooth=True)
        pen.line([q(0.44, 0.19), q(0.44, 0.38)], _shade(colour, -0.3), 0.006)
        pen.poly(
            [q(0.29, 0.42), q(0.55, 0.42), q(0.555, 0.48), q(0.285, 0.48)], second, smooth=True, samples=3
        )
        cuff = [
            q(0.295, 0.68),
            q(0.415, 0.675),
            q(0.535, 0.68),
            q(0.55, 0.78),
            q(0.545, 0.85),
            q(0.415, 0.86),
            q(0.285, 0.85),
            q(0.28, 0.78),
        ]
        pen.poly(cuff, _shade(colour, -0.2), smooth=True, samples=6)
        pen.line([q(0.29, 0.8), q(0.54, 0.8)], (215, 219, 224), 0.012, joint=None)
        pen.line([q(0.3, 0.69), q(0.53, 0.69)], _shade(colour, -0.4), 0.006, joint=None)
        pen.line([q(0.38, 0.2), q(0.36, 0.33)], _shade(colour, 0.3), 0.007)

    mitt(0.16, 0.02, True, -0.12)
    mitt(-0.02, 0.0, False, 0.0)


_PRODUCT_DRAWERS = {
    "tyre": _draw_tyre,
    "skis": _draw_skis,
    "poles": _draw_poles,
    "boot": _draw_boot,
    "shoe": _draw_shoe,
    "jacket": _draw_jacket,
    "base_layer": _draw_base_layer,
    "vest": _draw_vest,
    "pannier": _draw_pannier,
    "headlamp": _draw_headlamp,
    "bike_light": _draw_bike_light,
    "rear_light": _draw_rear_light,
    "lock": _draw_lock,
    "wax": _draw_wax,
    "klister": _draw_klister,
    "mitt": _draw_mitt,
}
PRODUCT_KINDS = tuple(_PRODUCT_DRAWERS)


def _studio_background(size: int, centre, edge) -> Image.Image:
    """A seamless studio sweep: brightest just above the middle, falling off to the edges."""
    small = 128
    radial = Image.radial_gradient("L").resize((small * 2, small * 2), Image.Resampling.BILINEAR)
    # radial_gradient is 0 in the middle and 255 a half-width out; crop so the corners stay soft.
    radial = radial.crop((small // 2, small // 2 + 8, small // 2 + small, small // 2 + small + 8))
    radial = radial.point(lambda v: min(255, int(v * 1.35)))
    background = Image.composite(
        Image.new("RGB", (small, small), edge), Image.new("RGB", (small, small), centre), radial
    )
    return background.resize((size, size), Image.Resampling.BICUBIC)


def product_shot(
    kind: str, *, seed: int = 1, palette: str = "snow", variant: str = "", size: int = 1000
) -> bytes:
    """A stylised studio photo of one piece of gear (see PRODUCT_KINDS), as JPEG bytes.

    Deterministic for the same arguments; about a tenth of a second on one core.
    """
    from PIL import ImageChops

    rng = random.Random(seed)
    centre, edge, main, second, accent = (_hex(c) for c in PRODUCT_PALETTES[palette])

    # Draw at twice the size, then halve on premultiplied colour: clean anti-aliased edges.
    pen = _Pen(size * 2)
    _PRODUCT_DRAWERS[kind](pen, rng, main, second, accent, variant)
    layer = pen.layer.convert("RGBa").reduce(2).convert("RGBA")
    alpha = layer.getchannel("A")
    rgb = layer.convert("RGB")

    # Soft key light from the upper left, falling off towards the lower right.
    light = Image.linear_gradient("L").rotate(45, resample=Image.Resampling.BILINEAR, expand=True)
    inset = (light.width - 256) // 2
    light = light.crop((inset, inset, inset + 256, inset + 256)).resize(
        (size, size), Image.Resampling.BILINEAR
    )
    lit = Image.composite(
        Image.blend(rgb, Image.new("RGB", rgb.size, (0, 0, 0)), 0.16),
        Image.blend(rgb, Image.new("RGB", rgb.size, (255, 255, 255)), 0.1),
        light,
    )

    background = _studio_background(size, centre, edge)

    # Shadows from the object's own outline: a wide soft drop shadow and a tight contact shadow.
    shrink = 4
    outline = alpha.reduce(shrink)
    drop = Image.new("L", outline.size, 0)
    drop.paste(outline, (round(size * 0.022 / shrink), round(size * 0.035 / shrink)))
    drop = drop.filter(ImageFilter.GaussianBlur(size * 0.022 / shrink)).point(lambda v: int(v * 0.3))
    contact = Image.new("L", outline.size, 0)
    x0, _y0, x1, y1 = (v / shrink for v in (alpha.getbbox() or (0, 0, size, size)))
    inset_x = (x1 - x0) * 0.06
    ImageDraw.Draw(contact).ellipse((x0 + inset_x, y1 - 7, x1 - inset_x, y1 + 5), fill=110)
    contact = contact.filter(ImageFilter.GaussianBlur(6))
    shadow = ImageChops.lighter(drop, contact).resize((size, size), Image.Resampling.BICUBIC)
    background.paste(Image.new("RGB", (size, size), _mix(edge, (20, 24, 34), 0.55)), mask=shadow)

    background.paste(lit, mask=alpha)
    buffer = io.BytesIO()
    background.save(buffer, format="JPEG", quality=88, optimize=True, progressive=True)
    return buffer.getvalue()


def staff_portrait(
    *,
    seed: int = 1,
    hue: int = 200,
    skin: str = "#e8b996",
    hair: str = "#6b4a2f",
    hair_style: str = "short",
    top: str = "#2f5d8a",
    beard: bool = False,
    glasses: bool = False,
    beanie: str = "",
    size: int = 640,
) -> bytes:
    """A friendly flat-illustration head-and-shoulders portrait for staff authors, as JPEG bytes.

    hair_style: "short", "long", "bun" or "bald"; beanie: a colour for a knitted hat, or "".
    """
    import colorsys

    rng = random.Random(seed)

    def hsl(h: float, s: float, lightness: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb((h % 360) / 360, lightness, s)
        return (round(r * 255), round(g * 255), round(b * 255))

    skin_c, hair_c, top_c = _hex(skin), _hex(hair), _hex(top)
    pen = _Pen(size * 2)
    # Background: sky, a low sun and a fell line behind the shoulders.
    pen.layer.paste(_gradient((size * 2, size * 2), hsl(hue, 0.45, 0.8), hsl(hue + 25, 0.4, 0.62)), (0, 0))
    sun_x = rng.uniform(0.2, 0.32)
    pen.ellipse(sun_x, 0.24, 0.07, 0.07, hsl(hue + 180, 0.75, 0.88))
    ridge = [
        (0, 0.72),
        (0.16, 0.6),
        (0.3, 0.66),
        (0.5, 0.52),
        (0.7, 0.64),
        (0.86, 0.56),
        (1, 0.66),
        (1, 1),
        (0, 1),
    ]
    pen.poly(ridge, hsl(hue + 20, 0.3, 0.5))

    # Long hair falls behind the shoulders.
    if hair_style == "long":
        pen.poly(
            [
                (0.33, 0.42),
                (0.36, 0.3),
                (0.5, 0.25),
                (0.64, 0.3),
                (0.67, 0.42),
                (0.7, 0.72),
                (0.6, 0.78),
                (0.4, 0.78),
                (0.3, 0.72),
            ],
            _shade(hair_c, -0.12),
            smooth=True,
        )
    # Shoulders in an outdoor top with a collar and zip.
    pen.poly(
        [(0.06, 1.02), (0.12, 0.84), (0.28, 0.75), (0.5, 0.72), (0.72, 0.75), (0.88, 0.84), (0.94, 1.02)],
        top_c,
        smooth=True,
    )
    pen.poly(
        [(0.39, 0.73), (0.5, 0.8), (0.61, 0.73), (0.63, 0.77), (0.5, 0.86), (0.37, 0.77)],
        _shade(top_c, -0.3),
        smooth=True,
        samples=4,
    )
    pen.line([(0.5, 0.84), (0.5, 1.0)], _shade(top_c, -0.4), 0.008, joint=None)
    pen.line([(0.26, 0.8), (0.2, 1.0)], _shade(top_c, 0.15), 0.006, joint=None)
    # Neck, ears and head.
    pen.rect(0.445, 0.58, 0.555, 0.77, _shade(skin_c, -0.12), radius=0.03)
    pen.ellipse(0.355, 0.475, 0.025, 0.04, _shade(skin_c, -0.06))
    pen.ellipse(0.645, 0.475, 0.025, 0.04, _shade(skin_c, -0.06))
    pen.poly(
        [
            (0.5, 0.27),
            (0.63, 0.32),
            (0.655, 0.46),
            (0.62, 0.58),
            (0.5, 0.645),
            (0.38, 0.58),
            (0.345, 0.46),
            (0.37, 0.32),
        ],
        skin_c,
        smooth=True,
    )
    # Face: brows, eyes, a smile and a little colour in the cheeks.
    for side in (-1, 1):
        pen.ellipse(0.5 + side * 0.058, 0.47, 0.011, 0.013, (52, 42, 40))
        pen.line([(0.5 + side * 0.04, 0.43), (0.5 + side * 0.078, 0.425)], _shade(hair_c, -0.2), 0.008)
        pen.ellipse(0.5 + side * 0.085, 0.53, 0.026, 0.016, _mix(skin_c, (232, 120, 110), 0.35))
    pen.arc(0.5, 0.535, 0.045, 0.03, 20, 160, (150, 80, 70), 0.007)
    pen.line([(0.5, 0.49), (0.492, 0.515), (0.503, 0.518)], _shade(skin_c, -0.2), 0.005, joint=None)
    if glasses:
        for side in (-1, 1):
            pen.ellipse(0.5 + side * 0.058, 0.472, 0.038, 0.032, outline=(40, 40, 46), width=0.007)
        pen.line([(0.482, 0.468), (0.518, 0.468)], (40, 40, 46), 0.006)
    if beard:
        pen.poly(
            [
                (0.35, 0.47),
                (0.37, 0.56),
                (0.43, 0.63),
                (0.5, 0.66),
                (0.57, 0.63),
                (0.63, 0.56),
                (0.65, 0.47),
                (0.6, 0.52),
                (0.56, 0.56),
                (0.5, 0.555),
                (0.44, 0.56),
                (0.4, 0.52),
            ],
            hair_c,
            smooth=True,
        )
        pen.arc(0.5, 0.545, 0.04, 0.022, 10, 170, _shade(hair_c, 0.35), 0.006)
    # Hair on top, or a knitted hat.
    if beanie:
        hat = _hex(beanie)
        pen.poly(
            [(0.33, 0.42), (0.35, 0.3), (0.42, 0.22), (0.5, 0.2), (0.58, 0.22), (0.65, 0.3), (0.67, 0.42)],
            hat,
            smooth=True,
        )
        pen.rect(0.325, 0.36, 0.675, 0.43, _shade(hat, -0.2), radius=0.03)
        for k in range(9):
            x = 0.35 + k * 0.038
            pen.line([(x, 0.37), (x, 0.42)], _shade(hat, -0.35), 0.004)
        pen.ellipse(0.5, 0.18, 0.045, 0.045, _shade(hat, 0.55))
        if hair_style == "long":
            pen.poly(
                [(0.335, 0.42), (0.375, 0.43), (0.36, 0.6), (0.33, 0.66), (0.32, 0.52)], hair_c, smooth=True
            )
            pen.poly(
                [(0.665, 0.42), (0.625, 0.43), (0.64, 0.6), (0.67, 0.66), (0.68, 0.52)], hair_c, smooth=True
            )
    elif hair_style != "bald":
        cap = [
            (0.34, 0.46),
            (0.345, 0.34),
            (0.4, 0.27),
            (0.5, 0.24),
            (0.6, 0.27),
            (0.655, 0.34),
            (0.66, 0.46),
            (0.63, 0.38),
            (0.56, 0.34),
            (0.46, 0.36),
            (0.38, 0.38),
        ]
        pen.poly(cap, hair_c, smooth=True)
        pen.line([(0.42, 0.29), (0.52, 0.27), (0.6, 0.3)], _shade(hair_c, 0.25), 0.007, smooth=True)
        if hair_style == "bun":
            pen.ellipse(0.5, 0.215, 0.06, 0.05, hair_c)
            pen.arc(0.5, 0.215, 0.045, 0.035, 200, 300, _shade(hair_c, 0.3), 0.006)
    image = pen.layer.convert("RGB").reduce(2)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, optimize=True)
    return buffer.getvalue()

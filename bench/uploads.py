"""Upload memory benchmark: peak memory of re-encoding member images, before and after.

    make bench            # or: .venv/bin/python bench/uploads.py

Each scenario runs in a fresh Python process (so its peak resident set size, ``ru_maxrss``,
belongs to that scenario alone) and reports the peak minus the process's size just before the
first image: what the uploads themselves cost. "before" is the re-encoding as it was (decode at
full size, orientation, conversion and resize each making a full-size copy, no cap on decodes
at once), reproduced here with the same Pillow calls; "after" is ``content.uploads.sanitise_image``.

The inputs are made once, in the parent: a flat-colour 5000 x 5000 PNG (about 73 KB, the
issue's case, 25 MP), a 4000 x 3000 PNG (12 MP: the new limit for formats that cannot be
decoded at a reduced scale) and a 5000 x 5000 JPEG (25 MP: JPEG's limit, decoded reduced).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

INPUTS = {
    "png-25mp": ("PNG", (5000, 5000)),
    "png-12mp": ("PNG", (4000, 3000)),
    "jpeg-25mp": ("JPEG", (5000, 5000)),
}
# (label, input, output): forum and review photos are bounded at 1600 px, avatars 256 px.
SCENARIOS = [
    ("PNG 5000x5000 (73 KB) -> photo 1600", "png-25mp", {"max_side": 1600}),
    ("PNG 4000x3000 -> photo 1600", "png-12mp", {"max_side": 1600}),
    ("JPEG 5000x5000 -> photo 1600", "jpeg-25mp", {"max_side": 1600}),
    ("JPEG 5000x5000 -> avatar 256", "jpeg-25mp", {"square": 256}),
]


def rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def make_inputs(folder: Path) -> dict[str, Path]:
    from PIL import Image

    paths = {}
    for key, (fmt, size) in INPUTS.items():
        buffer = io.BytesIO()
        Image.new("RGB", size, "#2f6f4e").save(buffer, format=fmt)
        path = folder / f"{key}.{fmt.lower()}"
        path.write_bytes(buffer.getvalue())
        paths[key] = path
    return paths


def sanitise_before(data: bytes, *, square: int | None = None, max_side: int = 2048) -> tuple[int, int]:
    """The re-encoding as it was before the fix (same Pillow calls, same limit of 25 MP)."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(data))
    if image.size[0] * image.size[1] > 25_000_000:
        raise ValueError("too many pixels")
    image.seek(0)
    image.load()
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if square:
        image = ImageOps.fit(image, (square, square), method=Image.Resampling.LANCZOS)
    elif max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, format="WEBP", quality=85, method=4)
    return clean.size


def sanitise_after(data: bytes, **options) -> tuple[int, int]:
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from content.uploads import sanitise_image

    try:
        clean = sanitise_image(SimpleUploadedFile("upload", data), **options)
    except ValidationError as error:
        return (0, 0) if error.code == "too_many_pixels" else (-1, -1)  # -1: "busy, try again"
    return (clean.width, clean.height)


def child(variant: str, path: str, options: dict, uploads: int) -> None:
    """One scenario in this process; prints a JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from PIL import Image  # noqa: F401 - imported before the baseline, like in a server

    import content.uploads  # noqa: F401

    data = Path(path).read_bytes()
    run = sanitise_before if variant == "before" else sanitise_after
    baseline = rss_kb()
    outputs: list[tuple[int, int]] = []
    started = time.perf_counter()
    if uploads == 1:
        outputs.append(run(data, **options))
    else:
        # Eight members at once: every thread starts its upload at the same moment.
        barrier = threading.Barrier(uploads)

        def upload() -> None:
            barrier.wait()
            outputs.append(run(data, **options))

        threads = [threading.Thread(target=upload) for _ in range(uploads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "peak_mb": round((peak - baseline) / 1024, 1),
                "seconds": round(elapsed, 2),
                "outputs": sorted({describe(width, height) for width, height in outputs}),
            }
        )
    )


def describe(width: int, height: int) -> str:
    if width > 0:
        return f"{width}x{height}"
    return "refused (pixels)" if width == 0 else "busy"


def measure(variant: str, path: Path, options: dict, uploads: int) -> dict:
    result = subprocess.run(
        [PYTHON, __file__, "--child", variant, str(path), json.dumps(options), str(uploads)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrent", type=int, default=8, help="uploads at once in the second row")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, path, options, uploads = args.child
        child(variant, path, json.loads(options), int(uploads))
        return

    with tempfile.TemporaryDirectory(prefix="kanta-bench-uploads-") as folder:
        paths = make_inputs(Path(folder))
        sizes = {key: f"{path.stat().st_size / 1024:.0f} KB" for key, path in paths.items()}
        print(f"inputs: {sizes}")
        print(
            "| scenario | uploads at once | before: peak MB | before: s "
            "| after: peak MB | after: s | after: output |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for label, key, options in SCENARIOS:
            for uploads in (1, args.concurrent):
                before = measure("before", paths[key], options, uploads)
                after = measure("after", paths[key], options, uploads)
                print(
                    f"| {label} | {uploads} | {before['peak_mb']} | {before['seconds']} "
                    f"| {after['peak_mb']} | {after['seconds']} | {', '.join(after['outputs'])} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

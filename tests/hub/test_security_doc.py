"""docs/security.md names the test that proves each defence: every name must exist, so the
page cannot point at a test that was renamed or deleted."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# `tests/x.py::name`, or `::name` meaning the file named last before it on the same line.
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def references(text: str) -> list[tuple[str, str | None]]:
    found = []
    for line in text.splitlines():
        current = None
        for match in REFERENCE.finditer(line):
            path, name = match.groups()
            if path:
                current = path
            if current and (path or name):
                found.append((current, name))
    return found


def test_every_test_named_in_the_security_page_exists():
    refs = references((ROOT / "docs" / "security.md").read_text())
    assert len(refs) > 40
    missing = []
    for path, name in refs:
        source = ROOT / path
        if not source.exists():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, missing

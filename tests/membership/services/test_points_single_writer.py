"""Only membership/services/points.py writes the ledger (STYLE.md: one writer per table)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WRITER = ROOT / "membership" / "services" / "points.py"
APPS = ["hub", "content", "membership", "community"]
WRITE_METHODS = {
    "create",
    "bulk_create",
    "update",
    "bulk_update",
    "delete",
    "get_or_create",
    "update_or_create",
    "save",
}
LEDGER_NAMES = {"PointEntry", "MemberStanding"}


def ledger_writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
        ):
            source = ast.unparse(node.func.value)
            if (
                any(name in source for name in LEDGER_NAMES)
                or "point_entries" in source
                or "standing" in source
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_module_but_the_points_service_writes_the_ledger():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path == WRITER or "migrations" in path.parts:
                continue
            offenders += ledger_writes(path)
    assert offenders == []


def test_the_check_would_notice_a_stray_writer(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text("PointEntry.objects.create(member=m, amount=5)\nmember.standing.save()\n")
    assert len(ledger_writes_in(stray)) == 2


def ledger_writes_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITE_METHODS
        and any(name in ast.unparse(node.func.value) for name in (*LEDGER_NAMES, "point_entries", "standing"))
    ]

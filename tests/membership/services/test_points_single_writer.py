"""Only membership/services/points.py writes the ledger (STYLE.md: one writer per table).

`lint-imports` checks it in `make test` through the `ledger-single-writer` contract of
pyproject.toml; these tests run that same contract: on the real code, and on a planted writer.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

from tests.architecture.contracts import SingleWriterContract

ROOT = Path(__file__).resolve().parents[3]


def project_contract() -> tuple[list[str], SingleWriterContract]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (options,) = [c for c in config["contracts"] if c["id"] == "ledger-single-writer"]
    contract = SingleWriterContract(name=options["name"], session_options=config, contract_options=options)
    return config["root_packages"], contract


def test_no_module_but_the_points_service_writes_the_ledger():
    root_packages, contract = project_contract()
    graph = grimp.build_graph(*root_packages, cache_dir=None)
    assert "membership.services.points" in graph.modules
    check = contract.check(graph, verbose=False)
    assert check.metadata["writes"] == []
    assert check.kept


def test_the_check_would_notice_a_stray_writer(tmp_path, monkeypatch):
    package = tmp_path / "ledgerland"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "migrations" / "0002_backfill.py").write_text("PointEntry.objects.bulk_create([])\n")
    (package / "points.py").write_text("PointEntry.objects.create(member=m, amount=5)\n")
    (package / "stray.py").write_text(
        "def award(member):\n"
        "    PointEntry.objects.create(member=member, amount=5)\n"
        "    member.standing.save()\n"
        "    PointEntry.objects.filter(member=member).update(amount=0)\n"
        "    member.point_entries.all().delete()\n"
        "    print(member.standing.balance)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _, project = project_contract()
    contract = SingleWriterContract(
        name="planted",
        session_options={"root_packages": ["ledgerland"]},
        contract_options={**project.contract_options, "writers": ["ledgerland.points"]},
    )
    check = contract.check(grimp.build_graph("ledgerland", cache_dir=None), verbose=False)
    assert not check.kept
    places = [write.split(": ", 1)[0] for write in check.metadata["writes"]]
    assert places == [f"{package / 'stray.py'}:{line}" for line in (2, 3, 4, 5)]

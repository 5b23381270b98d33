"""Kanta's own import-linter contract types (pyproject.toml, [tool.importlinter]).

``single_writer``: only the named writer modules write a table. The import graph says which
first-party modules exist; each one's source is read and every call that creates, saves,
updates or deletes rows of the named models (or through their reverse relations) outside the
writers and the migrations breaks the contract, reported as ``file:line: call``. The points
ledger uses it: only ``membership/services/points.py`` writes ``PointEntry`` and the
``MemberStanding`` balance cache (STYLE.md, "One writer for the points ledger").
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import COMMON_CONTRACT_OPTIONS, Contract, ContractCheck

# Manager, queryset and instance methods that write rows, with their async twins.
WRITE_METHODS = frozenset(
    {
        "create",
        "bulk_create",
        "update",
        "bulk_update",
        "delete",
        "get_or_create",
        "update_or_create",
        "save",
    }
)
WRITE_METHODS |= frozenset(f"a{name}" for name in WRITE_METHODS)


def table_writes(source: str, *, names: frozenset[str] | set[str]) -> list[tuple[int, str]]:
    """Each ``(line, call)`` in ``source`` that writes through a receiver naming one of ``names``.

    The receiver is the expression the write method is called on: ``PointEntry.objects``,
    ``PointEntry.objects.filter(...)``, ``member.point_entries``, ``member.standing``.
    """
    writes = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
        ):
            receiver = ast.unparse(node.func.value)
            if any(name in receiver for name in names):
                writes.append((node.lineno, ast.unparse(node)[:80]))
    return sorted(writes)


def module_file(module: str) -> Path | None:
    """The source file of a first-party ``module``, found without importing it."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin else None
    if not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


class SingleWriterContract(Contract):
    """Only ``writers`` write the rows of ``models`` (or through ``related_names``).

    Options:
        - writers:       modules allowed to write (``membership.services.points``).
        - models:        model class names whose writes are watched (``PointEntry``).
        - related_names: reverse accessors that reach those rows from another model
                         (``point_entries``, ``standing``).
    Modules in a ``migrations`` package are data history and are not checked.
    """

    type_name = "single_writer"

    writers = fields.SetField(subfield=fields.ModuleField())
    models = fields.SetField(subfield=fields.StringField())
    related_names = fields.SetField(subfield=fields.StringField(), required=False)

    @classmethod
    def _get_unrecognized_option_errors(cls, contract_options: dict[str, object]) -> dict[str, str]:
        # import-linter's own version calls getattr() on every name in dir(cls); once Twisted's
        # reactor is imported (daphne, in the test run) abc.ABC has a zope.interface
        # `__provides__` that raises AttributeError on the subclass.
        recognized = COMMON_CONTRACT_OPTIONS | set(cls._get_field_names())
        return dict.fromkeys(sorted(set(contract_options) - recognized), "Unrecognized option.")

    def find_writes(self, graph: ImportGraph) -> list[str]:
        names = frozenset(self.models) | frozenset(self.related_names or ())
        writers = {module.name for module in self.writers}
        found = []
        for module in sorted(graph.modules):
            if module in writers or "migrations" in module.split("."):
                continue
            path = module_file(module)
            if path is None:
                continue
            for line, call in table_writes(path.read_text(encoding="utf-8"), names=names):
                found.append(f"{_shown(path)}:{line}: {call}")
        return found

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        writes = self.find_writes(graph)
        return ContractCheck(kept=not writes, metadata={"writes": writes})

    def render_broken_contract(self, check: ContractCheck) -> None:
        writers = ", ".join(sorted(module.name for module in self.writers))
        output.print(f"Only {writers} may write {', '.join(sorted(self.models))}:")
        output.new_line()
        for write in check.metadata["writes"]:
            output.indent_cursor()
            output.print(write)
        output.new_line()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)

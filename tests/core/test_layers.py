"""Core has no import cycle, counting imports under TYPE_CHECKING and inside functions.

import-linter (`lint-imports`, contracts in pyproject.toml) checks the layers; this test also catches a cycle
between two modules of one layer, which a layers contract allows."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every module of ``known`` that the file imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, one level up per extra dot
                package = module_name(path).split(".")[: -node.level]
                base = ".".join(package + ([base] if base else []))
            # ``from core import auth`` imports the module core.auth; ``from core.auth import x`` imports core.auth
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def core_import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in (ROOT / "core").rglob("*.py") if "migrations" not in path.parts}
    packages = {name for name, path in files.items() if path.name == "__init__.py"}
    # A package's (empty) __init__ is not a dependency worth a cycle: point at modules only.
    return {name: imported_modules(path, set(files)) - packages - {name} for name, path in files.items()}


def test_core_has_no_import_cycle() -> None:
    graph = core_import_graph()
    assert "core.config" in graph and "core.web.app" in graph["core.cli"]  # the walk sees lazy imports too
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        pytest.fail("core imports itself in a circle: " + " -> ".join(exc.args[1]))


def test_a_type_checking_import_makes_a_cycle(tmp_path: Path) -> None:
    """The walk counts imports that only type checkers run."""
    source = tmp_path / "mod.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.web.app import AppContext\n")
    assert imported_modules(source, {"core.web.app", "core.config"}) == {"core.web.app"}


def test_every_plugin_is_in_the_independence_contract() -> None:
    """import-linter checks only the plugins its contract names: a new plugin must be added there."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [independent] = [c for c in contracts["contracts"] if c["id"] == "plugins-independent"]
    packages = {f"plugins.{path.parent.name}" for path in (ROOT / "plugins").glob("*/__init__.py")}
    assert set(independent["modules"]) == packages

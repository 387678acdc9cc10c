"""The layers the source tree promises, held by reading every import (module level and inside functions).

- rules import only the model, the rule interface and toolkit, the account-facts interface and what is
  derived from templates (cdkcheck.template, cdkcheck.updates);
- reporters do not import the engine; nothing below the CLI imports the CLI;
- the subpackages import each other without cycles.
"""

from __future__ import annotations

import ast
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("validator", "rules")

RULES_MAY_IMPORT = ("cdkcheck.model", "cdkcheck.ruleset", "cdkcheck.errors", "cdkcheck.facts.interface",
                    "cdkcheck.template", "cdkcheck.updates", "cdkcheck_rules")
FORBIDDEN = (
    # (importer prefix, imported prefix, why)
    ("cdkcheck.reporters", "cdkcheck.engine", "reporters render a RunResult; they do not run checks"),
    ("cdkcheck.engine", "cdkcheck.cli", "the engine never depends on the command line"),
    ("cdkcheck.engine", "cdkcheck.reporters", "the engine returns results; it formats nothing"),
    ("cdkcheck.app", "cdkcheck.engine", "the synth knows nothing of checks"),
    ("cdkcheck.template", "cdkcheck.engine", "template facts come before the engine"),
    ("cdkcheck.updates", "cdkcheck.engine", "update facts come before the engine"),
    ("cdkcheck.facts", "cdkcheck.engine", "account facts come before the engine"),
    ("cdkcheck.analyzers", "cdkcheck.engine", "analyzers report facts; the engine decides"),
)


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for top in ROOTS:
        for path in (root / top).rglob("*.py"):
            parts = path.relative_to(root / top).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {i for i in found if i.split(".")[0] in ("cdkcheck", "cdkcheck_rules")}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def unit(name: str) -> str:
    """The subpackage a module belongs to: cdkcheck.engine, cdkcheck_rules, cdkcheck.model, ..."""
    parts = name.split(".")
    if parts[0] == "cdkcheck_rules":
        return parts[0]
    # The facts interface sits below the template derivations; its boto3 implementation above them.
    return ".".join(parts[:3] if parts[:3] == ["cdkcheck", "facts", "live"] else parts[:2])


def violations(root: Path) -> list[str]:
    mods = modules(root)
    found = []
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in sorted(mods.items()):
        for imported in sorted(imports_of(name, path)):
            target = next((m for m in (imported, imported.rpartition(".")[0]) if m in mods), None)
            if target is None:
                continue
            if within(name, "cdkcheck_rules") and not any(within(target, p) for p in RULES_MAY_IMPORT):
                found.append(f"{name} imports {target}: rules may import only {', '.join(RULES_MAY_IMPORT)}")
            for importer, imported_prefix, why in FORBIDDEN:
                if within(name, importer) and within(target, imported_prefix):
                    found.append(f"{name} imports {target}: {why}")
            if unit(name) != unit(target) and name != "cdkcheck":
                graph[unit(name)].add(unit(target))
    found.extend(f"import cycle between subpackages: {' -> '.join(c)}" for c in cycles(graph))
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_the_source_tree_keeps_its_layers():
    assert violations(REPO) == []


def test_every_subpackage_says_what_it_holds_and_may_import():
    for init in (REPO / "validator" / "cdkcheck").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "import" in doc.lower(), f"{init} has no docstring saying what it may import"


def test_the_engine_package_keeps_few_top_level_modules():
    top = [p for p in (REPO / "validator" / "cdkcheck").glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 10, sorted(p.name for p in top)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for top in ROOTS:
        shutil.copytree(REPO / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__", "data"))
    return tmp_path


@pytest.mark.parametrize("module, planted, expected", [
    ("rules/cdkcheck_rules/rds/iops.py", "from cdkcheck.engine.pipeline import check_environments",
     "cdkcheck_rules.rds.iops imports cdkcheck.engine.pipeline: rules may import only"),
    ("validator/cdkcheck/reporters/text.py", "from cdkcheck.engine import policy",
     "cdkcheck.reporters.text imports cdkcheck.engine.policy: reporters render"),
    ("validator/cdkcheck/engine/verdict.py", "import cdkcheck.cli.main",
     "cdkcheck.engine.verdict imports cdkcheck.cli.main: the engine never depends"),
    ("validator/cdkcheck/template/placeholders.py", "from cdkcheck.updates import plan",
     "import cycle between subpackages"),
])
def test_a_planted_import_is_caught(tree_copy: Path, module: str, planted: str, expected: str):
    path = tree_copy / module
    # Inside a function, as lazy imports are written: the check reads those too.
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _planted():\n    {planted}\n", encoding="utf-8")
    found = violations(tree_copy)
    assert any(expected in v for v in found), found

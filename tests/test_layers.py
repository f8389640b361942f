"""The floors of docs/architecture.md hold: no import climbs, and no two modules import each
other (top-level, inside a function or under TYPE_CHECKING alike)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "taper"
# Owned by the other half of issue 19 (the create_app split on the `house` branch).
KNOWN_CYCLES = [{"taper.web", "taper.web.app"}]


def _floors() -> list[tuple[str, list[str]]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```layers block"
    floors = []
    for line in block.group(1).splitlines():
        name, _, patterns = line.partition(":")
        floors.append((name.strip(), patterns.split()))
    return floors[::-1]  # from the bottom


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The taper modules a file imports: ``from taper import safety`` is ``taper.checks.safety``."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {t for t in targets if t in modules}


def _floor_of(module: str, floors: list[tuple[str, list[str]]]) -> int:
    for number, (_, patterns) in enumerate(floors):
        for pattern in patterns:
            if module == pattern.rstrip("*") or (
                pattern.endswith("*") and module.startswith(pattern[:-1] + ".")
            ):
                return number
    raise AssertionError(f"{module} has no floor in docs/architecture.md: add it to the block")


def test_every_module_has_a_floor_and_no_import_climbs() -> None:
    floors = _floors()
    modules = _modules()
    climbs = []
    for module, path in sorted(modules.items()):
        mine = _floor_of(module, floors)
        for target in sorted(_imports(path, modules)):
            theirs = _floor_of(target, floors)
            if theirs > mine:
                climbs.append(
                    f"{module} ({floors[mine][0]}) imports {target} ({floors[theirs][0]})"
                )
    assert climbs == []


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert [c for c in cycles if c not in KNOWN_CYCLES] == []

"""The three import cycles of issue 16 stay gone: no chain of lugha imports (module level or inside a
function, where lazy imports used to hide them) leads from one of these modules back to itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    mods = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            graph[m] |= {n for n in names if n in mods and n != m}
    return graph


def _reaches(graph, a: str, b: str) -> bool:
    seen, todo = set(), [a]
    while todo:
        m = todo.pop()
        if m == b:
            return True
        if m not in seen:
            seen.add(m)
            todo += graph[m]
    return False


@pytest.mark.parametrize("a, b", [("lugha.corpus.audit", "lugha.corpus.report"),
                                  ("lugha.lid.ensemble", "lugha.lid.train"),
                                  ("lugha.lid.evaluate", "lugha.lid.ensemble"),
                                  ("lugha.models.base", "lugha.models.transformer")])
def test_no_import_cycle(a, b):
    g = _graph()
    assert not (_reaches(g, a, b) and _reaches(g, b, a)), f"{a} and {b} import each other"

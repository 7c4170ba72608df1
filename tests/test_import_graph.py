"""kmner's modules import each other in one direction: no import cycle, counting
imports inside functions (which hide cycles from the interpreter) but not those
under ``if TYPE_CHECKING:`` (never executed)."""

from __future__ import annotations

import ast
from pathlib import Path

import kmner

ROOT = Path(kmner.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str):
    """(imported module, line) for every import statement that can run."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package.split(".")
                base = ".".join(pkg[:len(pkg) - node.level + 1] + ([base] if base else []))
            yield base, node.lineno, tuple(a.name for a in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {kmner module it imports: line of the first such import}."""
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, {})
        for base, line, names in _imports(ast.parse(path.read_text("utf-8")), package):
            # `from pkg import mod` imports the submodule pkg.mod
            targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in files] or [base]
            for target in targets:
                if target in files and target != name:
                    edges.setdefault(target, line)
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_graph_sees_function_level_imports():
    graph = import_graph()
    assert "kmner.evaluation.scoring" in graph["kmner.evaluation.evaluate"]
    # kmner.cli registers commands from inside a function
    assert "kmner.evaluation.cli" in graph["kmner.cli"]


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}}) is None


def test_no_import_cycle_in_kmner():
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in zip(cycle, cycle[1:])]
        raise AssertionError("import cycle:\n  " + "\n  ".join(steps))


# Cross-package imports point down this order (same level: no imports between them):
# evaluation is the library every stage scores with, data/ holds the formats and
# gold records that labelstudio/ builds on.
# processing/ (Spark) runs the silver and training code, so it sits above them; their
# commands reach it through kmner.core.engines.
LAYERS = {"core": 0, "kmner": 1, "evaluation": 1, "gazetteer": 1, "data": 2, "silver": 2,
          "labelstudio": 3, "training": 3, "demo": 4, "processing": 4, "demo_cli": 5,
          "cli": 6, "__main__": 7}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_dependency_arrows_point_one_way():
    graph = import_graph()
    wrong = [f"{a} (line {line}) -> {b}" for a, edges in sorted(graph.items())
             for b, line in sorted(edges.items())
             if _package(a) != _package(b)
             and LAYERS[_package(a)] <= LAYERS[_package(b)]]
    assert not wrong, "imports against the layer order:\n  " + "\n  ".join(wrong)

"""No import cycle inside ``alara``: the module graph, read from the sources, is acyclic.

A cycle works only while its modules happen to be imported in one order, and breaks the day
someone imports the other one first; a constant two modules need belongs in a third.
"""

from __future__ import annotations

import ast
from pathlib import Path

import alara

ROOT = Path(alara.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports run when the module is imported: not in functions or TYPE_CHECKING blocks."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.If, ast.Try)) and not _is_type_checking(node):
            pending.extend(ast.iter_child_nodes(node))  # type: ignore[arg-type]
    return found


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> set[str]:
    """The alara modules an import statement loads (a package's ``__init__`` counts)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    names = {f"{base}.{alias.name}" for alias in node.names}
    submodules = {name for name in names if name in MODULES or _is_compiled(name)}
    loaded = names & MODULES.keys()
    return loaded | {base} & MODULES.keys() if names - submodules else loaded


def _is_compiled(name: str) -> bool:
    """Whether ``name`` is a C extension module (its stub sits next to it)."""
    return ROOT.parent.joinpath(*name.split(".")).with_suffix(".pyi").exists()


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in _top_level_imports(ast.parse(path.read_text(), str(path))):
            edges |= _targets(node, package)
        graph[name] = edges - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path) per module found on one, by depth-first search."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            found.append([*path[path.index(name):], name])
            return
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_the_graph_sees_the_known_edges() -> None:
    graph = _graph()
    assert "alara.entropy" in graph["alara"]
    assert "alara.entropy._limits" in graph["alara.entropy._network"]


def test_no_import_cycle_inside_alara() -> None:
    assert [" -> ".join(cycle) for cycle in _cycles(_graph())] == []


def test_the_search_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]

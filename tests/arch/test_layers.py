"""The package's layers, lowest first (the developers' guide, README "Layout"):

    isa, errors, fdt < devices, loader < mem < cpu < exec < firmware < board
      < debug, diag, tools, console < api, pytest_plugin < cli, __main__

Nothing imports from a higher layer at run time, deferred imports inside functions
included (imports under `if TYPE_CHECKING:` are for type checkers only and never run).
`KNOWN` would list upward imports not yet removed (none are left); the test fails on any
other, and on a listed one that is gone, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.tooling import ROOT

PACKAGE = ROOT / "rvirt"
LAYERS: list[tuple[str, ...]] = [
    ("isa", "errors", "fdt"),
    ("devices", "loader"),
    ("mem",),
    ("cpu",),
    ("exec",),
    ("firmware",),
    ("board",),
    ("debug", "diag", "tools", "console"),
    ("api", "pytest_plugin"),
    ("cli", "__main__"),
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}

# (importing module, imported module): upward imports still to be removed.
KNOWN: set[tuple[str, str]] = set()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "rvirt" or len(parts) < 2:
        return None  # outside the package, or its root (`from rvirt import __version__`)
    return RANK[parts[1]]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _run_time_imports(tree: ast.AST, module: str) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the importing module's package
                base = module.split(".")[:-node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from rvirt.board import memmap` names a module: that module is what is
            # imported (its package's __init__ runs first, but is not depended on)
            subs = {f"{name}.{alias.name}" for alias in node.names
                    if (PACKAGE.parent / (name.replace(".", "/") + f"/{alias.name}.py")).exists()}
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for module, path in _modules().items():
        mine = _layer(module)
        if mine is None:
            continue
        for imported in _run_time_imports(ast.parse(path.read_text()), module):
            theirs = _layer(imported)
            if theirs is not None and theirs > mine:
                found.add((module, imported))
    return found


def import_cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or in a ring (deferred imports
    included): the strongly connected components of the import graph."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps = set()
        for imported in _run_time_imports(ast.parse(path.read_text()), module):
            while imported and imported not in modules:  # `from m import name`
                imported = imported.rpartition(".")[0]
            if imported and imported != module:
                deps.add(imported)
        graph[module] = deps
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles() -> None:
    assert import_cycles() == []


def test_every_package_has_a_layer() -> None:
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
            if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert tops - {"__init__"} == set(RANK)


def test_nothing_imports_from_a_higher_layer() -> None:
    assert upward_imports() == KNOWN


def test_the_check_sees_deferred_imports() -> None:
    tree = ast.parse("def f():\n    from rvirt.cli import main\n"
                     "if TYPE_CHECKING:\n    from rvirt.api import Machine\n")
    assert _run_time_imports(tree, "rvirt.isa.table") == {"rvirt.cli"}

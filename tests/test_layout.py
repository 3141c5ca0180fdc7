"""The layout rule (CONTRIBUTING.md): no import cycles, entry points above the library, and
layout maps in CONTRIBUTING.md and README.md that match the tree.

The import graph is read from the source with `ast` (every `import`, at any depth, counts), so
the test needs no JAX and sees imports inside functions that a runtime check would miss.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC.parent
PACKAGE = SRC / "jlr"
ENTRY_POINTS = ("jlr.cli", "jlr.launch", "jlr.__main__", "jlr.site")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """The `jlr` modules a file imports, resolved to the deepest module that exists."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("jlr"):
                found.add(name)
    return found


def area(module: str) -> str:
    """The package a module belongs to: jlr.train.loop -> jlr.train; jlr.cli -> jlr.cli."""
    return ".".join(module.split(".")[:2])


IMPORTS = {name: imported_modules(path) - {"jlr"} for name, path in MODULES.items()}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph as a list of nodes, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for succ in sorted(graph.get(node, ())):
            if state.get(succ) == 1:
                return stack[stack.index(succ) :] + [succ]
            if succ not in state and (found := visit(succ)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle_and_accepts_a_dag():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_sees_imports_inside_functions():
    assert "jlr.cli" in MODULES and "jlr.projects" in IMPORTS["jlr.cli"] | {
        area(m) for m in IMPORTS["jlr.cli"]
    }


def test_no_import_cycle_between_modules():
    assert cycle_in(IMPORTS) is None, f"import cycle: {' -> '.join(cycle_in(IMPORTS))}"


def test_no_import_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for module, imports in IMPORTS.items():
        graph.setdefault(area(module), set()).update(
            area(imported) for imported in imports if area(imported) != area(module)
        )
    cycle = cycle_in(graph)
    assert cycle is None, f"package import cycle: {' -> '.join(cycle)}"


def is_entry_point(module: str) -> bool:
    return any(module == e or module.startswith(e + ".") for e in ENTRY_POINTS)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not is_entry_point(m)))
def test_library_never_imports_an_entry_point(module):
    bad = sorted(m for m in IMPORTS[module] if is_entry_point(m))
    assert not bad, f"{module} imports the entry point(s) {bad}; entry points sit above it"


def packages_in_tree() -> set[str]:
    """Every subpackage of jlr, and every top-level module but __init__ and __main__."""
    packages = {f"jlr.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    modules = {f"jlr.{p.stem}" for p in PACKAGE.glob("*.py") if not p.stem.startswith("__")}
    return packages | modules


def test_contributing_map_matches_the_tree():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    table = text.split("<!-- layout-map:start -->")[1].split("<!-- layout-map:end -->")[0]
    mapped = set(re.findall(r"^\| `(jlr\.\w+)` \|", table, flags=re.MULTILINE))
    assert mapped == packages_in_tree(), (
        f"CONTRIBUTING.md's map lacks {sorted(packages_in_tree() - mapped)} and names "
        f"{sorted(mapped - packages_in_tree())} that do not exist"
    )


def test_readme_map_matches_the_tree():
    """Every `word/` on a line of the README's layout block that starts with src/jlr/."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout")[1].split("```")[1]
    mapped = set()
    for line in block.splitlines():
        if line.startswith("src/jlr/"):
            tokens = [token.removeprefix("src/jlr/") for token in line.split()]
            mapped |= {f"jlr.{t[:-1]}" for t in tokens if re.fullmatch(r"\w+/", t)}
    in_tree = {f"jlr.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert mapped == in_tree, (
        f"README's layout map lacks {sorted(in_tree - mapped)} and names "
        f"{sorted(mapped - in_tree)} that do not exist"
    )


def test_package_docstring_names_only_real_packages():
    import jlr

    named = set(re.findall(r"\b([a-z_]+)\b", jlr.__doc__.split("(")[1].split(")")[0]))
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages | {"cli"} <= named <= {p.split(".")[1] for p in packages_in_tree()}, named

"""The API reference: one mkdocstrings page per `jlr` subpackage, found by walking its files.

The walk reads the file tree (it imports nothing), so building the reference needs no JAX.
Reference solutions and exercise checks are left out: they would spoil the exercises.
"""

from __future__ import annotations

from pathlib import Path

import jlr

HIDDEN = ("jlr.course.solutions", "jlr.course.checks", "jlr.__main__")


def module_names(package_dir: Path | None = None, package: str = "jlr") -> list[str]:
    """Dotted names of the public modules under `package_dir`, sorted, hidden ones left out."""
    root = Path(package_dir) if package_dir is not None else Path(jlr.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts):
            continue
        name = ".".join((package, *parts))
        if not any(name == h or name.startswith(h + ".") for h in HIDDEN):
            names.append(name)
    return names


def group_by_subpackage(names: list[str]) -> dict[str, list[str]]:
    """{"jlr.calculus": ["jlr.calculus", "jlr.calculus.derivatives", ...], "jlr": [...]}."""
    groups: dict[str, list[str]] = {}
    for name in names:
        parts = name.split(".")
        is_subpackage = len(parts) > 2 or any(n.startswith(name + ".") for n in names)
        head = ".".join(parts[:2]) if len(parts) > 1 and is_subpackage else parts[0]
        groups.setdefault(head, []).append(name)
    return groups


def api_pages(package_dir: Path | None = None) -> dict[str, str]:
    """{relative page path: markdown}: ``api/index.md`` plus ``api/<subpackage>.md`` each."""
    groups = group_by_subpackage(module_names(package_dir))
    pages = {}
    index = [
        "# API reference",
        "",
        "Generated from the docstrings of `jlr`: each function's docstring gives the formula "
        "and the shapes, and *Source code* shows the implementation.",
        "",
    ]
    for head, modules in groups.items():
        page = f"api/{head}.md"
        index.append(f"- [`{head}`]({head}.md)")
        body = [f"# `{head}`", ""]
        for module in modules:
            heading = "false" if module == head else "true"  # the page title names it already
            body += [f"::: {module}", "    options:", f"      show_root_heading: {heading}", ""]
        pages[page] = "\n".join(body)
    pages["api/index.md"] = "\n".join(index) + "\n"
    return pages

"""MathJax, bundled: copied from the ``django-static-mathjax`` wheel (MathJax 3) into the site.

The wheel is a plain copy of MathJax's ``es5`` build (it needs no Django). The site loads
``tex-chtml-full.js`` (every TeX extension built in, so nothing is fetched on demand) and its
CommonHTML fonts, all from ``assets/mathjax/`` on the same server: no CDN, works offline.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

MATHJAX_FILES = ("tex-chtml-full.js", "output/chtml/fonts/woff-v2")


def mathjax_source() -> Path:
    """The ``es5`` folder of the installed MathJax copy."""
    try:
        root = files("mathjax") / "static" / "mathjax" / "es5"
    except ModuleNotFoundError:
        raise RuntimeError("MathJax is missing: pip install django-static-mathjax") from None
    return Path(str(root))


def copy_mathjax(dest: Path) -> Path:
    """Copy the MathJax files the site needs into ``dest`` (e.g. ``assets/mathjax``)."""
    source = mathjax_source()
    for rel in MATHJAX_FILES:
        target = Path(dest) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (source / rel).is_dir():
            shutil.copytree(source / rel, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source / rel, target)
    if (source.parent / "LICENSE").exists():  # Apache-2.0: ship the licence with the copy
        shutil.copy2(source.parent / "LICENSE", Path(dest) / "LICENSE")
    return Path(dest)


def copy_favicon(dest: Path) -> Path:
    """mkdocs-material's icon as ``/favicon.ico``, which browsers ask for on pages without
    an icon of their own (the project reports): a 404 there would be a failed request."""
    icon = files("material") / "templates" / "assets" / "images" / "favicon.png"
    shutil.copy2(Path(str(icon)), dest)
    return Path(dest)

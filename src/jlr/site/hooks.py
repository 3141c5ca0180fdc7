"""A mkdocs hook: keep notebook pages free of the CDN scripts nbconvert's template adds.

mkdocs-jupyter renders notebooks with nbconvert's lab template, which loads MathJax 2 from a
CDN (here an empty ``<script src="">``) and imports mermaid from a CDN when a page has a
diagram. The site bundles MathJax 3 itself, so both are removed from every page.
"""

from __future__ import annotations

import re

NBCONVERT_MATHJAX = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL
)
MODULE_SCRIPT = re.compile(r'<script type="module">.*?</script>', re.DOTALL)


def strip_cdn_scripts(html: str) -> str:
    """`html` without nbconvert's MathJax 2 loader and its CDN mermaid import."""
    html = NBCONVERT_MATHJAX.sub("", html)
    return MODULE_SCRIPT.sub(lambda m: "" if "mermaid" in m.group(0) else m.group(0), html)


def on_post_page(output: str, page, config) -> str:  # noqa: ARG001 (mkdocs hook signature)
    return strip_cdn_scripts(output)

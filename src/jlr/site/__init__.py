"""The offline course site: lessons, project reports and the API reference as static HTML.

`make site` (``python -m jlr.site``) stages everything mkdocs needs into ``build/site-src``
and builds ``site/`` with mkdocs-material and mkdocs-jupyter:

- ``lessons.py``  executes each ``lessons/NN_slug.py`` as a notebook (outputs and figures kept);
- ``api.py``      writes one mkdocstrings page per `jlr` subpackage from the docstrings;
- ``projects.py`` copies each project's newest ``runs/*/report.html``;
- ``assets.py``   bundles MathJax (from the ``django-static-mathjax`` wheel), so no CDN is used;
- ``build.py``    stages the pages, writes the navigation and calls mkdocs;
- ``hooks.py``    a mkdocs hook that strips the CDN scripts nbconvert's template adds;
- ``browser.py``  drives headless Chromium over the DevTools protocol to check every page.
"""

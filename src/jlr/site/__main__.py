"""``python -m jlr.site [--out site]``: build the course site (what `make site` runs)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from jlr.site.build import build_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jlr.site", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("site"), help="output folder")
    parser.add_argument("--no-cache", action="store_true", help="re-execute every lesson")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"), help="lesson scripts")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="run folders")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="hand-written pages")
    parser.add_argument("--stage", type=Path, default=Path("build/site-src"), help="staging")
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"), help="mkdocs config")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s -  %(message)s")
    start = time.perf_counter()
    cache_dir = None if args.no_cache else Path(".jlr-cache/site")
    out = build_site(
        args.out,
        config_file=args.config,
        docs_dir=args.docs,
        lessons_dir=args.lessons,
        runs_dir=args.runs,
        stage_dir=args.stage,
        cache_dir=cache_dir,
    )
    seconds = time.perf_counter() - start
    print(f"site built in {seconds:.0f} s: open {out / 'index.html'} or serve it with")
    print(f"  python -m http.server -d {args.out} 8000   (then http://127.0.0.1:8000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `jlr` command line: a thin layer that parses flags and calls the library.

JAX is imported only by the commands that train, so `jlr --help` answers at once.
User errors (bad names, bad values, bad files) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jlr


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line (and exit code 2), no usage dump."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="jlr",
        description="JLR, the JAX Learning Repository: lessons, exercises and projects.",
    )
    parser.add_argument("--version", action="version", version=f"jlr {jlr.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("list", help="list projects and lessons, one line each")

    run = commands.add_parser("run", help="run a project into a run folder")
    run.add_argument("name", help="project name (see `jlr list`)")
    run.add_argument("--preset", default="demo", help="demo (minutes on a CPU) or full")
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value (repeatable)",
    )
    run.add_argument("--out", type=Path, help="run folder (default runs/NAME-TIMESTAMP)")
    run.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    run.add_argument("--seed", type=int, help="root random seed")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--processes", type=int, default=1, help="N processes joined by jax.distributed"
    )

    commands.add_parser("lessons", help="list the lessons and their topics")
    lesson = commands.add_parser("lesson", help="write lesson NN as a Jupyter notebook")
    lesson.add_argument("number", help="two-digit lesson number, e.g. 01")
    lesson.add_argument("--dir", type=Path, help="where to write the notebook")

    check = commands.add_parser("check", help="grade your exercises for lesson NN")
    check.add_argument("number", help="two-digit lesson number, e.g. 01")
    check.add_argument("--file", type=Path, help="your exercise file (default: exercises/NN_*.py)")

    commands.add_parser("progress", help="the curriculum as a checklist of what you have passed")
    return parser


def command_list() -> int:
    from jlr.projects import PROJECTS

    for name, (_module, description) in sorted(PROJECTS.items()):
        print(f"project  {name:<20} {description}")
    from jlr.course.commands import list_lessons

    for number, title, _topics in list_lessons():
        print(f"lesson   {number:<20} {title}")
    return 0


def command_run(args: argparse.Namespace) -> int:
    from jlr.config import parse_assignments, resolve_config
    from jlr.errors import ConfigError
    from jlr.projects import load_project
    from jlr.train.run_folder import default_run_folder, prepare_run_folder

    project = load_project(args.name)
    if args.preset not in project.PRESETS:
        raise ConfigError(
            f"unknown preset {args.preset!r}; valid presets: {', '.join(sorted(project.PRESETS))}"
        )
    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed {args.seed}: the seed must be a non-negative integer")
    config = resolve_config(
        project.Config,
        project.PRESETS[args.preset],
        parse_assignments(args.assignments),
        seed=args.seed,
    )
    out_dir = args.out if args.out is not None else default_run_folder(args.name)
    prepare_run_folder(out_dir, resume=args.resume)
    if args.processes != 1:  # N processes on this machine, coordinator on 127.0.0.1
        from jlr.parallel.launch import run_multiprocess

        result = run_multiprocess(
            args.name, config, out_dir, args.processes, progress=not args.no_progress
        )
    else:
        result = project.run(config, out_dir, resume=args.resume, progress=not args.no_progress)
    print(f"run folder: {out_dir}")
    print(f"report:     {out_dir / 'report.html'}")
    summary = ", ".join(
        f"{key}={value:.4g}" for key, value in result.items() if isinstance(value, float)
    )
    if summary:
        print(f"final:      {summary}")
    return 0


def command_course(args: argparse.Namespace) -> int:
    from jlr.course import commands

    if args.command == "lessons":
        print(commands.format_lessons())
        return 0
    if args.command == "lesson":
        path = commands.export_lesson(args.number, args.dir)
        print(f"wrote {path}")
        print(f"open it with:  jupyter lab {path}   (or VS Code / any notebook viewer)")
        return 0
    if args.command == "check":
        report = commands.check_exercises(args.number, args.file)
        print("\n".join(report.lines))
        return 0 if report.failed == 0 and report.passed > 0 else 1
    print(commands.format_progress())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "list":
            return command_list()
        if args.command == "run":
            return command_run(args)
        return command_course(args)
    except KeyboardInterrupt:
        print("jlr: interrupted; a resumable checkpoint is in the run folder", file=sys.stderr)
        return 130
    except Exception as error:  # user errors from any layer: one line, no traceback
        code = user_error_exit_code(error)
        if code is None:
            raise
        print(f"jlr: error: {error}", file=sys.stderr)
        return code


def user_error_exit_code(error: Exception) -> int | None:
    """The exit code for an error the user can fix, or None for a bug (show the traceback)."""
    from jlr.errors import UserError

    if isinstance(error, UserError):
        return error.exit_code
    # The data and course layers raise ValueError subclasses of their own.
    if isinstance(error, ValueError) and type(error).__name__ in ("DataError", "CourseError"):
        return 2
    return None


if __name__ == "__main__":
    sys.exit(main())

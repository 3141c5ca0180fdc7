"""The `jlr` command line: a thin layer that parses flags and calls the library.

JAX is imported only by the commands that train, so `jlr --help` answers at once.
User errors (bad names, bad values, bad files) print one line on stderr and exit 2.

A data-parallel project runs as several processes joined by `jax.distributed`, all started
by this one command line: `jlr run NAME --processes N --process-id I --coordinator HOST:PORT`
is process I of N (one per host), and `jlr run NAME --processes N` alone starts all N such
commands on this machine through `jlr.launch`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path

import jlr
from jlr.errors import ConfigError, RunInterrupted, UserError


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
    run.add_argument(
        "--preset",
        default="demo",
        help="demo (the default: minutes on a CPU), full, or the project's own (a wrong name "
        "lists them)",
    )
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value (repeatable)",
    )
    run.add_argument(
        "--data-dir",
        metavar="FOLDER",
        help="the folder holding a project's data files (MNIST IDX, CIFAR-10 batches); the "
        "same as --set data_dir=FOLDER",
    )
    run.add_argument("--out", type=Path, help="run folder (default runs/NAME-TIMESTAMP)")
    run.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    run.add_argument("--seed", type=int, help="root random seed")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    multi = run.add_argument_group("several processes (data-parallel projects)")
    multi.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="the run's number of processes; without --process-id, start all N on this machine",
    )
    multi.add_argument(
        "--process-id", type=int, metavar="I", help="be process I (0 .. N-1) of the run"
    )
    multi.add_argument(
        "--coordinator", metavar="HOST:PORT", help="process 0's address, the same for all N"
    )

    commands.add_parser("lessons", help="list the lessons and their topics")
    lesson = commands.add_parser("lesson", help="write lesson NN as a Jupyter notebook")
    lesson.add_argument("number", help="two-digit lesson number, e.g. 01")
    lesson.add_argument("--dir", type=Path, help="where to write the notebook")

    check = commands.add_parser("check", help="grade your exercises for lesson NN")
    check.add_argument("number", help="two-digit lesson number, e.g. 01")
    check.add_argument("--file", type=Path, help="your exercise file (default: exercises/NN_*.py)")

    commands.add_parser("progress", help="the curriculum as a checklist of what you have passed")

    solution = commands.add_parser("solution", help="show the reference answer to an exercise")
    solution.add_argument("number", help="two-digit lesson number, e.g. 01")
    solution.add_argument("name", help="the exercise (function) name, e.g. hvp")
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
    if args.processes > 1 and args.process_id is None:  # the launcher: no JAX work here
        project, config = resolve_run(args)
        result = start_local_processes(args, config, args.out)
    else:
        from jlr.train.allocator import keep_temp_buffers_in_heap

        keep_temp_buffers_in_heap()  # before JAX allocates: XLA:CPU's temp buffer stays in the heap
        with stop_safely_on_ctrl_c(args):  # installed before JAX is imported
            project, config = resolve_run(args)
            result = run_project(project, args, config, args.out, not args.no_progress)
    out_dir = args.out
    print(f"run folder: {out_dir}")
    if (out_dir / "report.html").is_file():  # on several hosts only process 0 writes one
        print(f"report:     {out_dir / 'report.html'}")
    summary = ", ".join(
        f"{key}={value:.4g}" for key, value in result.items() if isinstance(value, float)
    )
    if summary:
        print(f"final:      {summary}")
    return 0


def resolve_run(args: argparse.Namespace):
    """(project module, validated config), with the run folder (args.out, given or default)
    checked and created."""
    from jlr.config import parse_assignments, resolve_config
    from jlr.projects import load_project, project_names
    from jlr.train.run_folder import default_run_folder, prepare_run_folder

    if args.out is None:
        args.out = default_run_folder(args.name)
    project = load_project(args.name)
    if args.preset not in project.PRESETS:
        raise ConfigError(
            f"unknown preset {args.preset!r}; valid presets: {', '.join(sorted(project.PRESETS))}"
        )
    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed {args.seed}: the seed must be a non-negative integer")
    check_processes(args, project)
    if args.data_dir is not None:
        if not reads_data_dir(project):
            readers = [name for name in project_names() if reads_data_dir(load_project(name))]
            raise ConfigError(
                f"--data-dir: project {args.name!r} reads no data folder; it applies to "
                f"{', '.join(readers)}"
            )
        args.assignments = [*args.assignments, f"data_dir={args.data_dir}"]
        args.data_dir = None  # now one of the assignments (resume_command repeats those)
    config = resolve_config(
        project.Config,
        project.PRESETS[args.preset],
        parse_assignments(args.assignments),
        seed=args.seed,
    )
    prepare_run_folder(args.out, resume=args.resume)
    return project, config


def reads_data_dir(project) -> bool:
    """Whether the project's config has a data_dir (the folder --data-dir sets)."""
    return "data_dir" in {field.name for field in dataclasses.fields(project.Config)}


def run_project(project, args: argparse.Namespace, config, out_dir: Path, progress: bool) -> dict:
    """Run the project in this process, as process --process-id of a run when one is given."""
    if args.process_id is None:
        return project.run(config, out_dir, resume=args.resume, progress=progress)
    from jlr.parallel.processes import join_processes

    with join_processes(args.coordinator, args.processes, args.process_id):
        return project.run(config, out_dir, resume=args.resume, progress=progress)


def resume_command(args: argparse.Namespace, out_dir: Path) -> str:
    """The `jlr run` that continues this run: the same settings, --out and --resume."""
    words = ["jlr", "run", args.name, "--preset", args.preset]
    words += [f"--set {item}" for item in args.assignments]
    words += [] if args.seed is None else ["--seed", str(args.seed)]
    return " ".join([*words, "--out", str(out_dir), "--resume"])


def interrupted_line(args: argparse.Namespace, out_dir: Path | None) -> str:
    """What a Ctrl-C leaves behind, read from the run folder: one true line."""
    if out_dir is None:
        return "jlr: interrupted before the run started; nothing was written"
    from jlr.train.run_folder import CHECKPOINT, checkpoint_progress

    progress = checkpoint_progress(out_dir)
    path, command = Path(out_dir) / CHECKPOINT, resume_command(args, out_dir)
    if progress is None:
        return (
            f"jlr: interrupted before the first checkpoint; {out_dir} holds nothing to resume: "
            "run the same command again to start over"
        )
    step, total = progress
    if step is None:
        return f"jlr: interrupted; {path} holds the work finished so far: continue with `{command}`"
    if step == total:
        return (
            f"jlr: interrupted after training finished ({path} holds step {step} of {total}) "
            f"but before the report: `{command}` writes it"
        )
    of_total = "" if total is None else f" of {total}"
    return f"jlr: interrupted; {path} holds step {step}{of_total}: continue with `{command}`"


@contextlib.contextmanager
def stop_safely_on_ctrl_c(args: argparse.Namespace):
    """Turn Ctrl-C into a stop at a safe point (see jlr.interrupt), reported in one line.

    While a training loop polls, the first Ctrl-C asks it to checkpoint and stop; the loop
    raises RunInterrupted and the line is printed here. Anywhere else (start-up, the report),
    or at a second Ctrl-C, the process ends at once with exit code 130 and the line, read from
    the run folder; os._exit skips the interpreter's teardown, which crashed while XLA was
    busy. After a Ctrl-C the handler stays installed until the process exits, so a late
    Ctrl-C during teardown cannot print a traceback or a second line.
    """
    from jlr import interrupt
    from jlr.train import run_folder  # noqa: F401  (the handler must import nothing itself)

    reported = [False]

    def report() -> None:
        if not reported[0]:
            sys.stdout.flush()
            print(interrupted_line(args, args.out), file=sys.stderr, flush=True)
            reported[0] = True

    def on_sigint(signum, frame):
        if interrupt.is_polling() and not interrupt.stop_requested():
            interrupt.request_stop()
            return
        report()
        os._exit(130)

    interrupt.clear_stop()
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    except RunInterrupted:  # stopped at a safe point, checkpoint written: report and leave
        report()
        sys.stderr.flush()
        os._exit(130)  # no interpreter teardown: it resets SIGINT, and a late Ctrl-C killed it
    finally:
        if not interrupt.stop_requested():
            signal.signal(signal.SIGINT, previous)


def check_processes(args: argparse.Namespace, project) -> None:
    """One-line errors for --processes, --process-id and --coordinator that cannot work."""
    if args.processes < 1:
        raise ConfigError(f"--processes {args.processes}: give at least 1")
    if (args.process_id is None) != (args.coordinator is None):
        raise ConfigError(
            "--process-id and --coordinator go together: process I of --processes N joins "
            "the run whose process 0 is at HOST:PORT"
        )
    if args.process_id is not None and not 0 <= args.process_id < args.processes:
        raise ConfigError(
            f"--process-id {args.process_id}: give 0 .. {args.processes - 1} "
            f"for --processes {args.processes}"
        )
    if args.coordinator is not None:
        host, _, port = args.coordinator.rpartition(":")
        if not (host and port.isdigit() and 0 < int(port) < 65536):
            raise ConfigError(
                f"--coordinator {args.coordinator}: expected HOST:PORT, e.g. host0:12355"
            )
    several = args.processes > 1 or args.process_id is not None
    if several and not getattr(project, "SUPPORTS_PROCESSES", False):
        raise UserError(
            f"project {args.name!r} runs in one process; --processes needs a data-parallel "
            "project such as data-parallel-mlp"
        )


def process_command(
    args: argparse.Namespace, config, out_dir: Path, process_id: int, coordinator: str
) -> list[str]:
    """This `jlr run` as process `process_id` of `args.processes`, every setting spelled out."""
    from jlr.config import config_to_assignments

    settings = [part for item in config_to_assignments(config) for part in ("--set", item)]
    flags = ["--resume"] * args.resume + ["--no-progress"] * args.no_progress
    return [
        sys.executable, "-m", "jlr", "run", args.name, "--out", str(out_dir), *settings, *flags,
        "--processes", str(args.processes), "--process-id", str(process_id),
        "--coordinator", coordinator,
    ]  # fmt: skip


def start_local_processes(args: argparse.Namespace, config, out_dir: Path) -> dict:
    """All `args.processes` processes of the run on this machine; -> process 0's results."""
    from jlr.launch import local_coordinator, run_processes

    coordinator = local_coordinator()
    run_processes(
        [process_command(args, config, out_dir, i, coordinator) for i in range(args.processes)],
        out_dir / "logs",
    )
    results = out_dir / "results.json"
    return json.loads(results.read_text()) if results.is_file() else {}


def command_course(args: argparse.Namespace) -> int:
    from jlr.course import commands

    if args.command == "lessons":
        print(commands.format_lessons())
        return 0
    if args.command == "lesson":
        path = commands.export_lesson(args.number, args.dir)
        print(f"wrote {path}")
        print(f"open it with:  {jupyter_command()} lab {path}   (or VS Code)")
        return 0
    if args.command == "solution":
        print(commands.solution_source(args.number, args.name), end="")
        return 0
    if args.command == "check":
        report = commands.check_exercises(args.number, args.file)
        print(report.text)  # one line per exercise, then "k/N passed (file)"
        return report.exit_code
    print(commands.format_progress())
    return 0


def jupyter_command() -> str:
    """The `jupyter` of this environment (JupyterLab is one of jlr's dependencies): its full
    path when it is not the one on PATH, so the printed command works without activating."""
    import shutil

    beside = Path(sys.executable).parent / "jupyter"
    on_path = shutil.which("jupyter")
    if on_path and beside.is_file() and Path(on_path).resolve() == beside.resolve():
        return "jupyter"
    return str(beside) if beside.is_file() else "jupyter"


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
    except KeyboardInterrupt:  # outside `jlr run`'s own handling: nothing was left half-done
        if args.command == "run":
            try:
                line = interrupted_line(args, args.out)
            except ImportError:  # Ctrl-C landed inside the import of what the line reads
                line = "jlr: interrupted before the run started; run the same command again"
            print(line, file=sys.stderr)
        else:
            print(f"jlr: interrupted; `jlr {args.command}` stopped", file=sys.stderr)
        return 130
    except RunInterrupted as stopped:  # stopped at a safe point after Ctrl-C; line printed
        return stopped.exit_code
    except UserError as error:  # data, course, config and run-folder errors all derive from it
        print(f"jlr: error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file or folder the user named that cannot be written or read
        where = f": {error.filename}" if error.filename else ""
        print(
            f"jlr: error: {error.strerror or error}{where}; check that path and its permissions",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())

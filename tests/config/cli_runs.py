"""``python -m bot ARGS`` for many cases at once, each in its own process forked from one that
has already imported the CLI (multiprocessing's forkserver): the same boundary as a subprocess
(its own environment and working directory, the exit code, stdout and stderr as one text)
without paying the interpreter's start and the imports (~1 s of the ~1.2 s a case took)."""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.cli import app

CLI = "bot.cli"  # imported once, by the forkserver


def cli_outcomes(
    runs: Iterable[tuple[list[str], Mapping[str, str], Path]],
) -> Iterator[tuple[int, str]]:
    """(exit code, stdout + stderr) of each (args, environment, working directory), in order.
    One fresh process per run: nothing one case does reaches the next."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([CLI])
    workers = max(2, os.cpu_count() or 2)
    with ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=1) as pool:
        futures = [pool.submit(_run, args, dict(env), str(cwd)) for args, env, cwd in runs]
        for future in futures:
            yield future.result(timeout=120)


def _run(args: list[str], env: dict[str, str], cwd: str) -> tuple[int, str]:
    """In the forked process: the CLI as ``python -m bot`` runs it, fds 1 and 2 to a file."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    with tempfile.TemporaryFile() as captured:
        for fd in (1, 2):
            os.dup2(captured.fileno(), fd)
        sys.stdout = _text(1)
        sys.stderr = _text(2)
        code = _exit_code(args)
        sys.stdout.flush()
        sys.stderr.flush()
        captured.seek(0)
        return code, captured.read().decode("utf-8", errors="replace")


def _exit_code(args: list[str]) -> int:
    try:
        app(args=args, prog_name="hedgebot")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        return 1
    return 0


def _text(fd: int) -> io.TextIOWrapper:
    raw = os.fdopen(fd, "wb", closefd=False)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", line_buffering=True)

"""The demo run twice (protected, then unprotected) for a module of tests, on any protocol."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

from bot.demo import DemoResult, run_demo

SPEED = 6.0  # the 100 scenario seconds in ~17 wall seconds per run
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Runs:
    protected: DemoResult
    unprotected: DemoResult
    output: str
    children_before: set[int]
    children_after: set[int]

    def left_running(self) -> list[list[str]]:
        """The command lines of the processes the runs started and left alive."""
        left = self.children_after - self.children_before
        return [psutil.Process(p).cmdline() for p in left if psutil.pid_exists(p)]


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def run_both(out: Path, **demo: Any) -> Runs:
    """``run_demo(**demo)`` protected then unprotected, headless at ``SPEED``, into ``out``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=False)
    before = children()
    common = {"headless": True, "speed": SPEED, "out_dir": out, "console": console, **demo}
    protected = run_demo(protect=True, **common)
    unprotected = run_demo(protect=False, **common)
    return Runs(
        protected=protected,
        unprotected=unprotected,
        output=buffer.getvalue(),
        children_before=before,
        children_after=children(),
    )

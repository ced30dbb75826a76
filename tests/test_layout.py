"""The layout says what the code is: two pipelines in bot/daemon (guard, hedger), the pure
decisions in bot/core, and nothing below the daemon importing it."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_DAEMON_FUNCTION_LINES = 60


def _modules(folder: Path) -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text())) for p in sorted(folder.rglob("*.py"))]


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_config_sim_and_core_never_import_the_daemon() -> None:
    offenders = [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for package in ("config", "sim", "core")
        for path, tree in _modules(BOT / package)
        for name in _imports(tree)
        if name == "bot.daemon" or name.startswith("bot.daemon.")
    ]
    assert offenders == []


def test_the_core_does_no_io() -> None:
    io_packages = ("web3", "httpx", "requests", "sqlalchemy", "binance", "apscheduler", "socket")
    offenders = [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for path, tree in _modules(BOT / "core")
        for name in _imports(tree)
        if name.split(".")[0] in io_packages
    ]
    assert offenders == []


def test_the_daemon_reads_as_two_pipelines_of_short_functions() -> None:
    for loop in ("guard", "hedger"):
        stages = {p.stem for p in (BOT / "daemon" / loop).glob("*.py")}
        assert {"read", "loop", "publish", "build"} <= stages, (loop, stages)
    long = [
        f"{path.relative_to(BOT.parent)}:{node.lineno} {node.name} ({length} lines)"
        for path, tree in _modules(BOT / "daemon")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1)
        > MAX_DAEMON_FUNCTION_LINES
    ]
    assert long == []

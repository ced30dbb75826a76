"""`hedgebot watch` next to a running daemon: the frame shows the position's HF as `hedgebot
status --json` reports it and the hedger's last order; without the daemon's metrics it says
so and keeps showing chain and journal; the live mode refreshes until Ctrl-C, which exits 0."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.harness import (
    REPO,
    cli,
    daemon_config,
    daemon_env,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]
HEADER = "hedgebot watch:"


def _setup(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> tuple[Path, dict[str, str], Path]:
    """A borrower's position, the daemon's config and environment, and its journal's path."""
    borrower = open_borrower(devnet, emulator)
    journal_path = tmp_path / "journal.db"
    config = write_config(
        tmp_path / "hedgebot.yaml",
        daemon_config(
            devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=journal_path
        ),
    )
    return config, daemon_env(emulator, wallet_key=borrower.key), journal_path


def _watch_env(emulator: EmulatorHandle) -> dict[str, str]:
    """No API key at all: the watcher can only read public endpoints. Wide, so no line wraps."""
    return {**daemon_env(emulator, wallet_key=None, api_keys=False), "COLUMNS": "220"}


def _last_order_words(journal_path: Path) -> str:
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        last = journal.orders_since(0)[-1]
    intent, outcome = last.journaled.intent, last.outcome
    assert outcome is not None
    return (
        f"{intent.side.value} {outcome.executed_quantity.normalize():f}/"
        f"{intent.quantity.normalize():f} {intent.symbol}"
    )


def _frames(path: Path, count: int, proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The watcher's output once it has printed ``count`` frames."""
    deadline = time.monotonic() + timeout
    while (text := path.read_text(errors="replace")).count(HEADER) < count:
        assert proc.poll() is None, f"watch exited early:\n{text}"
        assert time.monotonic() < deadline, f"fewer than {count} frames:\n{text}"
        time.sleep(0.05)
    return text


def _live_watch(config: Path, env: Mapping[str, str], url: str, out: Path) -> str:
    command = [
        sys.executable, "-m", "bot", "watch", "--config", str(config),
        "--interval-secs", "0.5", "--metrics-url", url,
    ]  # fmt: skip
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            command, env=dict(env), cwd=REPO, stdout=stdout, stderr=subprocess.PIPE
        )
    try:
        text = _frames(out, 3, proc, timeout=60)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr.decode(errors="replace")
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")
    return text


def test_watch_shows_the_daemons_hf_and_last_order_and_ctrl_c_exits_cleanly(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    config, env, journal_path = _setup(devnet, emulator, tmp_path)
    watch_env = _watch_env(emulator)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        url = daemon.metrics_base_url() + "/metrics"
        daemon.wait_event("cycle done", orders=0, timeout=30)  # the hedge is in place
        status = cli("status", "--config", str(config), "--json", env=env)
        assert status.returncode == 0, status.stderr
        once = cli("watch", "--config", str(config), "--once", "--metrics-url", url, env=watch_env)
        live = _live_watch(config, watch_env, url, tmp_path / "watch.out")
        assert daemon.terminate() == 0

    assert once.returncode == 0, once.stderr
    hf = Decimal(json.loads(status.stdout)[0]["oracle_hf"])
    assert f"oracle HF {hf.quantize(Decimal('0.001'))}" in once.stdout, once.stdout
    assert _last_order_words(journal_path) in once.stdout
    assert "FILLED" in once.stdout
    assert "marks: the exchange's public mark endpoint" in once.stdout
    assert "daemon not reachable" not in once.stdout
    assert re.search(r"hedger\s+running", once.stdout), once.stdout
    assert live.count(HEADER) >= 3


def test_watch_without_the_daemon_says_so_and_shows_chain_and_journal(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    config, env, journal_path = _setup(devnet, emulator, tmp_path)
    with running_daemon(config, env, tmp_path / "daemon.log", ("--max-cycles", "2")) as daemon:
        assert daemon.wait_exit() == 0
    dead = "http://127.0.0.1:9/metrics"
    once = cli(
        "watch", "--config", str(config), "--once", "--metrics-url", dead, env=_watch_env(emulator)
    )
    assert once.returncode == 0, once.stderr
    assert f"daemon not reachable at {dead}" in once.stdout
    assert "oracle HF 1." in once.stdout
    assert _last_order_words(journal_path) in once.stdout


def test_watch_with_a_bad_config_is_the_usual_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("positions: []\n")
    result = cli("watch", "--config", str(bad), "--once", env={"COLUMNS": "200"})
    assert result.returncode == 2
    assert "invalid config" in result.stderr
    assert "Traceback" not in result.stderr

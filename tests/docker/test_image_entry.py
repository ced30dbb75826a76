"""The Docker image's entry command works: run the Dockerfile's own ENTRYPOINT + CMD (and its
HEALTHCHECK) in the venv against the local stack. There is no Docker engine on this machine;
``make lint`` runs hadolint on the Dockerfile."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.devnet import Devnet, free_port, start_devnet
from bot.emulator.testing import EmulatorHandle, running_emulator
from bot.watch.journal_tail import JournalTail
from tests.docker.dockerfile import REPO, healthcheck, image_env, instruction

BORROWER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


@pytest.fixture
def stack() -> Iterator[tuple[Devnet, EmulatorHandle]]:
    with start_devnet() as devnet, running_emulator() as emulator:
        yield devnet, emulator


@pytest.mark.chain
@pytest.mark.exchange
def test_entry_command_runs_the_daemon_healthy_and_stops_cleanly(
    stack: tuple[Devnet, EmulatorHandle], tmp_path: Path
) -> None:
    devnet, emulator = stack
    borrower = devnet.account(2)
    devnet.open_position(borrower, collateral={"WBTC": Decimal(1)}, debt={"USDC": Decimal(20_000)})
    emulator.control.fund("BNB", Decimal(20), venue="usdm")
    # The image copies config/ to /etc/hedgebot and runs /etc/hedgebot/config.yaml (mounted).
    etc = tmp_path / "etc-hedgebot"
    shutil.copytree(REPO / "config", etc)
    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    config["exchange_base_url"] = emulator.base_url
    config["positions"][0].update(
        rpc_urls=[devnet.rpc_url],
        addresses_provider=devnet.deployment.addresses_provider,
        wallet=borrower,
    )
    (etc / "config.yaml").write_text(yaml.safe_dump(config))
    command = [*_entry_in_venv(), *instruction("CMD")]
    command = [c.replace("/etc/hedgebot", str(etc)) for c in command]
    port = free_port()
    env = dict(os.environ)
    env.update(image_env())
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        HEDGEBOT__JOURNAL__URL=f"sqlite:///{tmp_path / 'journal.db'}",
        HEDGEBOT__METRICS__HOST="127.0.0.1",
        HEDGEBOT__METRICS__PORT=str(port),
        BINANCE_API_KEY=emulator.api_key,
        BINANCE_API_SECRET=emulator.api_secret,
        HEDGEBOT_WALLET_KEY=BORROWER_KEY,
        HEDGEBOT_SECRETS_DIR=str(tmp_path / "no-secrets"),
    )
    health = [c.replace("9108", str(port)) for c in healthcheck()]
    health[0] = sys.executable
    daemon = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    tail = JournalTail(tmp_path / "journal.db")  # read-only: the daemon creates and migrates it
    try:
        deadline = time.monotonic() + 90
        healthy = cycled = False
        while time.monotonic() < deadline and daemon.poll() is None and not (healthy and cycled):
            probe = subprocess.run(health, check=False, capture_output=True, timeout=10)
            healthy = probe.returncode == 0
            cycled = tail.cycle_counts().ok > 0
            time.sleep(0.5)
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=30)
        assert healthy, f"the HEALTHCHECK never passed:\n{output[-3000:]}"
        assert cycled, f"no cycle finished:\n{output[-3000:]}"
    finally:
        tail.close()
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    assert daemon.returncode == 0, output[-3000:]
    assert "cycle done" in output


def _entry_in_venv() -> list[str]:
    entry = instruction("ENTRYPOINT")
    assert entry == ["hedgebot"], entry
    return [str(Path(sys.executable).parent / "hedgebot")]

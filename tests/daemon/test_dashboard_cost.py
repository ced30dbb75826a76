"""An open dashboard costs the exchange account nothing: the live daemon's page reads positions,
balances and marks through the daemon's own exchange (the streams), not a fresh REST view per
refresh (which, at the 5 s default, spent ~7 % of Binance's per-minute request weight)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.daemon.harness import (
    POSITION,
    daemon_config,
    daemon_env,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

LOOKS = 20  # page refreshes, one every 0.5 s


def test_an_open_dashboard_spends_no_request_weight_on_the_account(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address,
        journal_path=tmp_path / "journal.db",
    )  # fmt: skip
    config["metrics"]["dashboard_refresh_secs"] = 0.5
    path = write_config(tmp_path / "hedgebot.yaml", config)
    env = daemon_env(emulator, wallet_key=borrower.key)
    env.pop("HEDGEBOT_DASHBOARD_TOKEN", None)  # loopback, no token
    with running_daemon(path, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("cycle done", orders=0, timeout=60)  # hedged, nothing to do
        url = daemon.metrics_base_url() + "/api/model"
        before = Counter(emulator.exchange.weight_by_endpoint)
        models = []
        for _ in range(LOOKS):
            models.append(httpx.get(url, timeout=10).json())
            time.sleep(0.5)
        spent = Counter(emulator.exchange.weight_by_endpoint) - before
        assert daemon.terminate() == 0, daemon.log_tail()

    shown = [m["positions"][0] for m in models if m.get("positions")]
    assert len(shown) == LOOKS, models[-1]
    assert all(p["position"] == POSITION and p["oracle_hf"] for p in shown), shown[-1]
    account = spent["GET /fapi/v3/positionRisk"] + spent["GET /fapi/v3/balance"]
    print(f"{LOOKS} page looks in {LOOKS * 0.5:g} s: weight by endpoint {dict(spent)}")
    # The daemon's own periodic REST check (every 60 s) may fall in the window: one read each.
    assert account <= 10, spent
    assert spent["GET /fapi/v1/exchangeInfo"] == 0, spent

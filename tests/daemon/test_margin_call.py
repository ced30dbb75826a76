"""A margin call reaches the running daemon (streams on, the default): the exchange's
``MARGIN_CALL`` for its short becomes a critical ``margin_call`` alert on the webhook, and the
capital loop, whose interval is ten minutes here, runs at once and sends the short margin.

The scene of tests/daemon/test_capital_loop.py: a 50 % short of a 1.5 WBTC loan at 3x on
16,000 USDT of margin, the emulator's wallet linked to anvil. Only the exchange's mark moves,
to where the short's margin ratio is 0.9 (the emulator calls at 0.8, liquidates at 1).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.markets import SPECS
from bot.emulator.testing import EmulatorHandle, python_binance_client
from tests.daemon.capital_scene import BORROWER, interval_mining
from tests.daemon.harness import (
    ANVIL_KEYS,
    WEBHOOK_ENV,
    WebhookReceiver,
    daemon_env,
    emulator_positions,
    running_daemon,
)
from tests.daemon.test_capital_loop import _config
from tests.emulator.chain_helpers import wait_for as wait_until

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

DEADLINE_SECS = 60.0


def _mark_at_ratio(emulator: EmulatorHandle, symbol: str, ratio: Decimal) -> Decimal:
    """The mark at which the account's one cross position has maintenance / margin balance =
    ``ratio``: mmr·|q|·m − cum = ratio·(W + q·(m − e)), solved for m (its bracket checked)."""
    account = next(iter(emulator.control.snapshot()["accounts"].values()))["usdm"]
    [position] = [p for p in account["positions"].values() if Decimal(p["amt"]) != 0]
    q, e = Decimal(position["amt"]), Decimal(position["entry"])
    wallet = Decimal(account["wallets"]["USDT"])
    spec = SPECS[symbol]
    bracket = spec.brackets[0]
    for _ in range(3):  # the bracket depends on the notional at the answer
        mark = (ratio * (wallet - q * e) + bracket.cum) / (bracket.mmr * abs(q) - ratio * q)
        bracket = spec.bracket_for(abs(q) * mark)
    return mark.quantize(spec.tick_size)


def _capital_pass(event: dict[str, Any]) -> bool:
    """A capital tick: it decides, or waits for the hedger's view (its first tick may)."""
    return event.get("event") in ("capital decided", "capital waits")


def test_a_margin_call_is_alerted_and_wakes_the_capital_loop(
    devnet: Devnet, linked: EmulatorHandle, tmp_path: Path
) -> None:
    address = python_binance_client(linked).get_deposit_address(coin="USDT", network="BSC")
    config, _ = _config(
        devnet, linked, tmp_path, loop_on=True, capital_interval_secs=600, webhook=True,
        deposit_address=address["address"],
    )  # fmt: skip
    wallet_key = ANVIL_KEYS[BORROWER]
    with WebhookReceiver() as receiver, interval_mining(devnet):
        env = daemon_env(linked, wallet_key=wallet_key, extra={WEBHOOK_ENV: receiver.url})
        with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
            daemon.wait_event("cycle done", timeout=DEADLINE_SECS)
            wait_until(
                "the short",
                lambda: emulator_positions(linked)["BTCUSDT"] < 0,
                deadline_secs=DEADLINE_SECS,
            )
            daemon.wait_event(
                "binance stream state", stream="user-usdm", state="streaming",
                timeout=DEADLINE_SECS,
            )  # fmt: skip
            daemon.wait_for(_capital_pass, what="the first capital pass")
            linked.control.set_mark("BTCUSDT", _mark_at_ratio(linked, "BTCUSDT", Decimal("0.9")))
            called, event = daemon.wait_event("binance margin call", timeout=DEADLINE_SECS)
            # woken at once (on the hedger's older view), then again once the hedger has
            # posted the account it read after the call: that pass sends margin
            _, deposit = daemon.wait_event(
                "capital decided", verdict="move", after=called + 1, timeout=DEADLINE_SECS
            )
            got = receiver.wait_for_kinds({"margin_call"}, timeout=DEADLINE_SECS)
            assert daemon.terminate() == 0, daemon.log_tail()
    assert "deposit" in deposit["message"].lower(), deposit
    [alert] = [a for a in got if a["kind"] == "margin_call"]
    assert alert["severity"] == "critical"
    assert "BTCUSDT" in alert["title"]
    [row] = event["positions"]
    assert row["symbol"] == "BTCUSDT"
    assert Decimal(row["amount"]) < 0
    assert alert["fields"]["BTCUSDT mark / maintenance margin"] == (
        f"{row['mark']} / {row['maintenance_margin']}"
    )

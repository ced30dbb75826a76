"""Two loans hedged on one exchange account, through a 30 % crash (issue 14, finding 3).

Before: each position's cycle treated the account's whole short as its own. Two wallets in a
static market produced 20 orders flipping open/reduce and ended at -0.5 BTC / -5 ETH against
-1.0 / -10 needed. Now one hedger plans the account: the targets are summed per symbol, and each
position's share is journaled and shown by ``hedgebot status``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import CycleOutcome, Journal
from tests.daemon.harness import (
    DaemonProcess,
    cli,
    daemon_config,
    daemon_env,
    emulator_orders,
    emulator_positions,
    move_price,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

ACCOUNT = "alice+bob"
BAND_REL = Decimal("0.10")  # daemon_config's band: 10 % or $100
BAND_ABS = Decimal(100)
CRASH_STEPS = ((54_000, 2_700), (48_000, 2_400), (42_000, 2_100))  # BTC, ETH: -10/-20/-30 %


def _config(devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path) -> tuple[Path, Path]:
    alice = open_borrower(devnet, emulator, index=2, bnb_margin=Decimal(100))
    bob = open_borrower(
        devnet, emulator, index=3, wbtc=Decimal("0.5"), weth=Decimal(5),
        usdc_debt=Decimal(15_000), bnb_margin=Decimal(0),
    )  # fmt: skip
    journal_path = tmp_path / "journal.db"
    config = daemon_config(
        devnet=devnet,
        emulator=emulator,
        wallet=alice.address,
        journal_path=journal_path,
        protect=False,  # the hedger's account plan is under test; no wallet key needed
        count_margin_as_exposure=False,
    )
    first = config["positions"][0]
    config["positions"] = [
        {**first, "name": "alice"},
        {**first, "name": "bob", "wallet": bob.address},
    ]
    return write_config(tmp_path / "hedgebot.yaml", config), journal_path


def _cycle_after(daemon: DaemonProcess, block: int, after: int) -> int:
    """The first cycle that read ``block``, then the first one after it with nothing to do."""
    first, _ = daemon.wait_for(
        lambda e: e.get("event") == "cycle done" and int(e.get("block", -1)) >= block,
        what=f"a cycle that read block {block}",
        after=after,
    )
    index, _ = daemon.wait_event("cycle done", orders=0, after=first + 1)
    return index


def _opposing_orders(orders: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(symbol, earlier order, later order) for a BUY and a SELL on one symbol within 60 s."""
    by_symbol: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        if Decimal(str(order["executed_qty"])) > 0:
            by_symbol[order["symbol"]].append(order)
    found = []
    for symbol, placed in by_symbol.items():
        placed.sort(key=lambda o: int(o["time"]))
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                if int(b["time"]) - int(a["time"]) < 60_000 and a["side"] != b["side"]:
                    found.append((symbol, a["client_order_id"], b["client_order_id"]))
    return found


def test_two_positions_on_one_account_hold_the_summed_target_through_a_crash(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    config, journal_path = _config(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=None)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        index, _ = daemon.wait_event("cycle done", orders=0)
        opened = emulator_positions(emulator)
        for btc, eth in CRASH_STEPS:
            move_price(devnet, emulator, "WBTC", Decimal(btc))
            block = move_price(devnet, emulator, "WETH", Decimal(eth))
            index = _cycle_after(daemon, block, index + 1)
        steady = daemon.events()[index]
        held = emulator_positions(emulator)
        status = cli("status", "--config", str(config), "--json", env=env)
        assert daemon.terminate() == 0

    assert steady["position"] == ACCOUNT, steady
    assert opened["BTCUSDT"] < 0, opened
    assert opened["ETHUSDT"] < 0, opened
    marks = {"BTCUSDT": Decimal(42_000), "ETHUSDT": Decimal(2_100)}
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        cycle = journal.cycle(str(steady["cycle_id"]))
        assert cycle is not None
        assert cycle.outcome is CycleOutcome.OK
        shares = {(s.position, s.underlying): s for s in cycle.summary.shares}
        for line in cycle.summary.hedges:
            symbol = f"{line.underlying}USDT"
            if symbol not in marks:
                continue
            alice, bob = shares[("alice", line.underlying)], shares[("bob", line.underlying)]
            # The account's target is the two loans' targets, each journaled.
            assert line.target_short_usd == alice.target_short_usd + bob.target_short_usd
            assert alice.target_short_usd > 0, alice
            assert bob.target_short_usd > 0, bob
            # The short on the exchange is that sum, within the band.
            short_usd = -held[symbol] * marks[symbol]
            band = max(line.target_short_usd * BAND_REL, BAND_ABS)
            assert abs(short_usd - line.target_short_usd) <= band, (symbol, short_usd, line)
        assert journal.latest_shares("bob"), "bob's share is not journaled"
    # The crash only ever grew the shorts: no order undid another within a minute.
    assert _opposing_orders(emulator_orders(emulator)) == []
    assert held["BTCUSDT"] < opened["BTCUSDT"]
    assert held["ETHUSDT"] < opened["ETHUSDT"]

    assert status.returncode == 0, status.stderr
    reports = {r["position"]: r for r in json.loads(status.stdout)}
    assert set(reports) == {"alice", "bob"}
    btc = next(h for h in reports["bob"]["account"]["hedges"] if h["underlying"] == "BTC")
    assert set(btc["shares"]) == {"alice", "bob"}
    parts = sum(Decimal(s["current_short_usd"]) for s in btc["shares"].values())
    assert parts == Decimal(btc["current_short_usd"])

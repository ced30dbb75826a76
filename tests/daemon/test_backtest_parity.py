"""The backtest's repays, caps and transfers come from the daemon's own code (issue 16): one
price path through the real daemon and through the backtest's ``Replay``, action by action.

The daemon runs on the whole local stack (anvil with the real Aave v3, the emulator's wallet
settling withdrawals and deposits on anvil); the test moves the oracle and the mark one step at
a time and waits until the daemon has settled each step. The backtest replays the same path as
flat hourly bars (open = high = low = close) with the same loan, policy, caps and fees. Both
must show the same actions at the same steps: orders, repays, withdrawals, deposits.

The loan: 1.5 WBTC (90,000 USD) against 46,800 USDT (HF 1.5), a 9,000 USDT reserve, a 50 %
short at 3x on 30,000 USDT of margin. The path falls 28 % (two repays: one cut by the guard's
per-action cap, one not; two withdrawals: one cut by the day cap), then rallies 111 % from its
low (two deposits: one whole, one cut by what the reserve holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest

from bot.config.models import HedgeConfig, RatioPolicyConfig
from bot.core.model import OrderIntent, OrderReport
from bot.devnet.aave import DEFAULT_RESERVES
from bot.devnet.devnet import Devnet
from bot.emulator.markets import SPECS
from bot.emulator.testing import EmulatorHandle, python_binance_client
from bot.journal import Journal, TxStatus
from bot.sim.backtest import Replay
from bot.sim.backtest_params import BacktestParams
from bot.sim.candles import Bar, MarketSeries
from bot.sim.paper_ledger import PaperLedger
from tests.daemon.capital_scene import (
    BORROWER,
    STEP_DEADLINE_SECS,
    TRIGGER_HF,
    USDT_ON_BSC,
    interval_mining,
    settle_step,
)
from tests.daemon.harness import (
    ANVIL_KEYS,
    DaemonProcess,
    daemon_config,
    daemon_env,
    running_daemon,
    write_config,
)
from tests.emulator.chain_helpers import send_tokens

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

PATH = tuple(
    Decimal(p)
    for p in (
        60_000, 55_000, 50_000, 46_000, 43_000, 38_000,  # the fall
        48_000, 58_000, 68_000, 74_000, 80_000,  # the rally
    )
)  # fmt: skip
SPENDER = 5  # the loan's proceeds go here: the wallet keeps only its reserve
COLLATERAL_BTC = Decimal("1.5")
DEBT = Decimal(46_800)
RESERVE = Decimal(9_000)
# Enough that no withdrawal waits for profit to be realised: the emulator and the backtest
# model Binance's maxWithdrawAmount differently for a short in profit (the emulator lets the
# profit cover its initial margin, the backtest's paper ledger does not), so on 20,000 USDT
# the backtest realises part of the short before each withdrawal and the daemon does not.
MARGIN = Decimal(30_000)
EMULATOR_USDT = Decimal(10_000)  # what the emulator's futures wallet starts with
RATIO = Decimal("0.5")
TARGET_HF = Decimal("1.6")  # daemon_config's protect.target_hf
MAX_REPAY_PER_ACTION = Decimal(8_000)
MAX_WITHDRAW_PER_DAY = Decimal(15_000)
# capital.band_usd's default. The reserve the capped refill leaves (8,622.51) is within it,
# so the rally's steps weigh no withdrawal: at a step's start the daemon's capital view can
# pair the venue's new maxWithdrawAmount with the hedger's note of the step before, and ask
# for profit to be realised on it (a race the backtest, one view per hour, cannot have).
REFILL_BAND = Decimal(500)
MIN_TRANSFER = Decimal(100)
WBTC = next(r for r in DEFAULT_RESERVES if r.symbol == "WBTC")

# What an action's amount may differ by between the two sides, and why (its step and kind:
# nothing). Orders: none, both round to the contract's step from the same plan. Repays: the
# daemon sizes them on the chain's raw amounts (ray-math debt, 8-decimal oracle price), the
# backtest on Decimal units rounded to the token's 6 decimals: a few raw units. Transfers are
# rounded to the cent (withdrawMultiple 0.01, deposits in cents): a reserve a few raw units
# apart may land on the neighbouring cent.
TOLERANCE = {
    "sell": Decimal(0),
    "buy": Decimal(0),
    "repay": Decimal("0.0001"),
    "withdraw": Decimal("0.01"),
    "deposit": Decimal("0.01"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    step: int  # index into PATH
    kind: str  # "sell", "buy", "repay", "withdraw", "deposit"
    amount: Decimal  # orders: quantity; repays: tokens; transfers: gross USDT

    def __str__(self) -> str:
        return f"step {self.step} ({PATH[self.step]:,}): {self.kind} {self.amount:f}"


# --- the backtest --------------------------------------------------------------------------


def backtest_params() -> BacktestParams:
    collateral_usd = COLLATERAL_BTC * PATH[0]
    threshold = Decimal(WBTC.liquidation_threshold_bps) / 10_000
    return BacktestParams(
        collateral_usd=collateral_usd,
        liquidation_threshold=threshold,
        liquidation_bonus=Decimal(WBTC.liquidation_bonus_bps - 10_000) / 10_000,
        start_hf=collateral_usd * threshold / DEBT,
        borrow_apr=Decimal(0),  # anvil's clock is frozen: no interest accrues there either
        leverage=3,
        band_rel=Decimal("0.10"),
        band_abs_usd=Decimal(100),
        taker_fee=SPECS["BTCUSDT"].taker_fee,
        slippage=Decimal(0),  # the emulator fills market orders at the mark
        min_short_liq_distance=Decimal("0.30"),
        margin_safety_factor=HedgeConfig.model_fields["margin_safety_factor"].default,
        trigger_hf=TRIGGER_HF,
        target_hf=TARGET_HF,
        max_repay_per_action_usd=MAX_REPAY_PER_ACTION,
        max_withdraw_per_day_usd=MAX_WITHDRAW_PER_DAY,
        # Anything under an hour lands before the next step, as the daemon's step waits for it.
        transfer_delay_minutes=10,
        deposit_credit_minutes=5,
        network=USDT_ON_BSC,
        refill_band_usd=REFILL_BAND,
        reserve_usd=RESERVE,
        reserve_target_usd=RESERVE,
        exchange_margin_usd=MARGIN,
        # The daemon acts on each step's one price: no path inside the step to repay on.
        intra_hour_reserve_repay=False,
        cycle="assess",  # the daemon's own cycle function
    )


@dataclass(slots=True, kw_only=True)
class RecordingLedger(PaperLedger):
    """The backtest's paper account, keeping each order it fills with the number of money
    moves (repays, transfers) made before it: the order the two came in."""

    moves: list[tuple[float, str, Decimal]]  # the reserve loop's history, appended as it goes
    orders: list[tuple[int, OrderIntent]] = field(default_factory=list)

    def fill(self, intent: OrderIntent, price: Decimal) -> OrderReport:
        self.orders.append((len(self.moves), intent))
        return PaperLedger.fill(self, intent, price)


def backtest_actions() -> list[Action]:
    bars = tuple(
        Bar(open_time=f"2026-01-01T{h:02d}:00:00Z", open=p, high=p, low=p, close=p)
        for h, p in enumerate(PATH)
    )
    series = MarketSeries(
        symbol="BTCUSDT", perp=bars, mark=bars, mark_source=("mark",) * len(bars), funding={}
    )
    replay = Replay(series, backtest_params(), RatioPolicyConfig(kind="ratio", r=RATIO), "repay")
    old, history = replay.ledger, replay.wallet.history
    ledger = RecordingLedger(
        specs=old.specs, leverage=old.leverage, taker_fee=old.taker_fee, slippage=old.slippage,
        free=old.free, capital_in=old.capital_in, moves=history,
    )  # fmt: skip
    replay.ledger = ledger
    actions: list[Action] = []
    for step, bar in enumerate(bars):
        orders, moves = len(ledger.orders), len(history)
        replay.hour(step, bar, bar)
        # Sorted by the moves made before each action: an order before the move it preceded.
        made = [
            ((before, 0), Action(step=step, kind=o.side.value.lower(), amount=o.quantity))
            for before, o in ledger.orders[orders:]
        ]
        made += [
            ((i, 1), Action(step=step, kind=str(kind), amount=amount))
            for i, (_, kind, amount) in enumerate(history[moves:], start=moves)
        ]
        actions += [action for _, action in sorted(made, key=lambda m: m[0])]
    return actions


# --- the daemon ----------------------------------------------------------------------------


def _open_loan(devnet: Devnet, emulator: EmulatorHandle) -> str:
    address = devnet.account(BORROWER)
    devnet.set_price("WBTC", PATH[0])
    devnet.open_position(address, collateral={"WBTC": COLLATERAL_BTC}, debt={"USDT": DEBT})
    send_tokens(devnet, "USDT", address, devnet.account(SPENDER), DEBT)  # spend the loan
    devnet.fund(address, "USDT", RESERVE)
    # No interest from here on: the debt the backtest starts from stays the chain's.
    devnet.freeze_time()
    emulator.control.set_mark("BTCUSDT", PATH[0])
    # Funding would settle on the emulator's clock if a run crossed 00:00, 08:00 or 16:00 UTC.
    emulator.control.set_funding_rate("BTCUSDT", 0)
    emulator.control.fund("USDT", MARGIN - EMULATOR_USDT, venue="usdm")
    return address


def _config(devnet: Devnet, emulator: EmulatorHandle, wallet: str, tmp_path: Path) -> Path:
    deposit_address = python_binance_client(emulator).get_deposit_address(
        coin="USDT", network="BSC"
    )["address"]
    config: dict[str, Any] = daemon_config(
        devnet=devnet, emulator=emulator, wallet=wallet, journal_path=tmp_path / "journal.db",
        policy={"kind": "ratio", "r": float(RATIO)}, count_margin_as_exposure=False,
    )  # fmt: skip
    config["hedge"]["margin_asset"] = "USDT"
    config["hedge"]["symbols"] = {"BTC": "BTCUSDT"}
    config["tokens"] = {k: v for k, v in config["tokens"].items() if k in ("WBTC", "USDT")}
    config["protect"]["reserve_tokens"] = ["USDT"]
    config["protect"]["max_per_action_usd"] = int(MAX_REPAY_PER_ACTION)
    config["capital"] = {
        "coin": "USDT",
        "network": "BSC",
        "deposit_address": deposit_address,
        "reserve_target_usd": int(RESERVE),
        "band_usd": int(REFILL_BAND),
        "min_transfer_usd": int(MIN_TRANSFER),
        "max_withdraw_per_day_usd": int(MAX_WITHDRAW_PER_DAY),
        "max_withdraw_per_transfer_usd": int(MAX_WITHDRAW_PER_DAY),  # the backtest's rule
        "interval_secs": 1,
    }
    return write_config(tmp_path / "hedgebot.yaml", config)


def _quiet(event: dict[str, Any]) -> bool:
    """A capital pass that moves nothing and has nothing in flight."""
    return (
        event.get("event") == "capital decided"
        and event.get("verdict") != "move"
        and not event.get("in_flight")
    )


def _settle(daemon: DaemonProcess, devnet: Devnet, wallet: str, *, block: int, after: int) -> int:
    """The step is over once it has settled (``settle_step``) and the hedger then has nothing
    to send. Returns the index of the last event waited for."""
    index = settle_step(daemon, devnet, wallet, block=block, after=after, quiet=_quiet)
    index, _ = daemon.wait_for(
        lambda e: e.get("event") == "cycle done" and e.get("orders") == 0,
        what="a hedger cycle with nothing to send", after=index + 1,
        timeout=STEP_DEADLINE_SECS,
    )  # fmt: skip
    return index


def _run_path(
    daemon: DaemonProcess, devnet: Devnet, emulator: EmulatorHandle, wallet: str
) -> list[datetime]:
    """Each step's start (the first one: the daemon's); the mark moves before the oracle, so
    a hedger cycle that read the oracle's block also read the new mark."""
    starts = [datetime.fromtimestamp(0, UTC)]
    index = _settle(daemon, devnet, wallet, block=0, after=0)
    for price in PATH[1:]:
        starts.append(datetime.now(UTC))
        emulator.control.set_mark("BTCUSDT", price)
        devnet.set_price("WBTC", price)
        block = devnet.latest_block()[0]
        index = _settle(daemon, devnet, wallet, block=block, after=index + 1)
    return starts


def _step_of(at: datetime, starts: list[datetime]) -> int:
    return max(i for i, start in enumerate(starts) if start <= at)


def daemon_actions(journal_path: Path, starts: list[datetime]) -> list[Action]:
    """Every order, mined repay and money move in the journal, by the step it was made in."""
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        orders = journal.orders_since(0)
        mined = journal.txs_since(0, status=TxStatus.MINED)
        moves = journal.moves_since(0)
    found = [
        (o.journaled.created_at, o.journaled.intent.side.value.lower(), o.journaled.intent.quantity)
        for o in orders
    ]
    found += [
        (t.created_at, "repay", t.intent.amount or Decimal(0))
        for t in mined
        if t.intent.kind == "repay"
    ]
    found += [(m.created_at, m.intent.kind.value, m.intent.amount) for m in moves]
    return [
        Action(step=_step_of(at, starts), kind=kind, amount=amount)
        for at, kind, amount in sorted(found, key=lambda f: f[0])
    ]


# --- the comparison ------------------------------------------------------------------------


def _table(daemon: list[Action], backtest: list[Action]) -> str:
    rows = [f"  {d or '-'!s:<44} | {b or '-'}" for d, b in zip_longest(daemon, backtest)]
    return "\n".join([f"  {'daemon':<44} | backtest", *rows])


def test_the_backtest_takes_the_daemons_actions_on_one_price_path(
    devnet: Devnet, linked: EmulatorHandle, tmp_path: Path
) -> None:
    wallet = _open_loan(devnet, linked)
    config = _config(devnet, linked, wallet, tmp_path)
    env = daemon_env(linked, wallet_key=ANVIL_KEYS[BORROWER])
    with interval_mining(devnet), running_daemon(config, env, tmp_path / "daemon.log") as d:
        starts = _run_path(d, devnet, linked, wallet)
        assert d.terminate() == 0, d.log_tail()

    daemon = daemon_actions(tmp_path / "journal.db", starts)
    backtest = backtest_actions()
    table = _table(daemon, backtest)
    assert [(a.step, a.kind) for a in daemon] == [(a.step, a.kind) for a in backtest], table
    for ours, theirs in zip(daemon, backtest, strict=True):
        assert abs(ours.amount - theirs.amount) <= TOLERANCE[ours.kind], table
    # The path shows what it was built to show: every kind of action, and the caps binding.
    kinds = sorted(a.kind for a in backtest)
    assert kinds == ["deposit", "deposit", "repay", "repay", "sell", "withdraw", "withdraw"], table
    assert MAX_REPAY_PER_ACTION in [a.amount for a in backtest if a.kind == "repay"], table
    withdrawn = sum((a.amount for a in backtest if a.kind == "withdraw"), Decimal(0))
    assert withdrawn == MAX_WITHDRAW_PER_DAY, table

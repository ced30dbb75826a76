"""ONE behaviour suite for every lending protocol hedgebot reads and guards: each test runs on
the real Aave v3 deployment and on the real Venus core pool (``lending`` fixture, anvil), and
the bot must not be able to tell them apart:

- a snapshot is one RPC request, pinned to one block, holding the position as opened;
- hedgebot's exact HF is the chain's own answer to the unit, over a dozen positions;
- at each predicted liquidation price the chain says healthy, one oracle step beyond it
  says liquidatable;
- the guard's repay (``decide`` + ``ProtectExecutor``) restores ``target_hf`` on the chain;
- in a crash with a liquidator trying every block, the guard keeps every attempt failing,
  while the same crash without the guard is liquidated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from bot.chain.protocol import LendingProtocol
from bot.core.health import exact_health_factor_wad
from bot.core.repay import decide
from bot.core.repay_math import hf_to_wad
from bot.journal import Journal
from bot.protect.executor import ProtectExecutor
from tests.lending.scenes import WAD, LendingScene, assert_crossing, holdings, read
from tests.protect.chain_helpers import PARAMS
from tests.protect.conftest import BORROWER, LIQUIDATOR, RESERVE

D = Decimal


# --- snapshot ------------------------------------------------------------------------------


def test_a_snapshot_is_one_request_at_one_block_holding_what_was_opened(
    lending: LendingScene,
) -> None:
    wallet = lending.account(BORROWER)
    lending.hold_interest()  # Aave: the debt read back is the debt borrowed, not a second more
    lending.open_position(
        wallet, collateral={"BTC": D("0.5"), "ETH": D("3.25")}, debt={"USD": D("12345.5")}
    )
    reader = lending.reader()
    snap = read(lending, reader, wallet)
    sym = lending.symbol
    assert holdings(snap) == {
        sym("BTC"): (D("0.5"), D(0)),
        sym("ETH"): (D("3.25"), D(0)),
        sym("USD"): (D(0), D("12345.5")),
    }
    prices = {a.symbol: a.price_usd for a in snap.assets}
    assert (prices[sym("BTC")], prices[sym("ETH")]) == (D(60_000), D(3_000))


# --- exact health factor ---------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    collateral: dict[str, Decimal]
    debt: dict[str, Decimal]
    interest_blocks: int = 0  # mine this many blocks (and book interest) before reading
    own_kind_debt: Decimal | None = None  # Venus VAI / Aave v3.0 stable-rate debt, USD


POSITIONS = {
    "btc-usd": Position({"BTC": D("0.5")}, {"USD": D(12_000)}),
    "eth-usd": Position({"ETH": D("7.654321")}, {"USD": D("9876.54321")}),
    "bnb-usd": Position({"BNB": D(25)}, {"USD": D("7000.5")}),
    "btc+eth-usd": Position({"BTC": D("0.2"), "ETH": D(3)}, {"USD": D(10_000)}),
    "three-coll-two-stables": Position(
        {"BTC": D("0.1"), "ETH": D(2), "BNB": D(10)}, {"USD": D(5_000), "USD2": D(3_000)}
    ),
    "btc-eth-debt": Position({"BTC": D("0.3")}, {"ETH": D("2.5")}),
    "btc-bnb-debt": Position({"BTC": D("0.25")}, {"BNB": D(10)}),
    "stable-coll-bnb-debt": Position({"ETH": D(4), "USD": D(5_000)}, {"BNB": D(12)}),
    "odd-amounts": Position(
        {"BTC": D("0.12345678"), "ETH": D("1.234567891234567891")}, {"USD": D("4321.123456")}
    ),
    "bnb-usd-after-interest": Position({"BNB": D(30)}, {"USD": D(9_000)}, interest_blocks=200),
    "mixed-after-interest": Position(
        {"BTC": D("0.15"), "BNB": D(8)}, {"USD": D(4_000), "ETH": D(1)}, interest_blocks=150
    ),
    "own-kind-debt-after-interest": Position(
        {"BNB": D(20)}, {"USD": D(3_000)}, interest_blocks=100, own_kind_debt=D(1_000)
    ),
}


@pytest.mark.parametrize("name", list(POSITIONS))
def test_the_exact_health_factor_is_the_chains_own_answer(lending: LendingScene, name: str) -> None:
    position = POSITIONS[name]
    wallet = lending.account(BORROWER)
    lending.open_position(wallet, collateral=position.collateral, debt=position.debt)
    own_kind = None
    if position.own_kind_debt:
        own_kind = lending.borrow_own_kind(wallet, position.own_kind_debt)
    reader = lending.reader()
    first = read(lending, reader, wallet)
    if position.interest_blocks:
        lending.accrue_interest(position.interest_blocks)
        later = read(lending, reader, wallet)
        assert exact_health_factor_wad(later) < exact_health_factor_wad(first)  # debt grew
        first = later
    if own_kind is not None and position.own_kind_debt is not None:
        assert holdings(first)[own_kind][1] > position.own_kind_debt  # with its interest
    hf = exact_health_factor_wad(first)
    assert WAD < hf < 3 * WAD  # a real borrower, not an empty or a liquidatable account


# --- liquidation prices -----------------------------------------------------------------------


def test_at_each_liquidation_price_safe_one_oracle_step_beyond_liquidatable(
    lending: LendingScene,
) -> None:
    wallet = lending.account(BORROWER)
    lending.open_position(
        wallet,
        collateral={"BTC": D("0.2"), "ETH": D("5.5")},  # either alone would be liquidated
        debt={"USD": D("11000.25"), "BNB": D("9.5")},
    )
    lending.accrue_interest(50)  # uneven amounts: the protocols' truncations bite
    lending.hold_interest()  # the prediction is for this block's interest
    reader = lending.reader()
    for neutral in ("BTC", "ETH"):
        assert_crossing(lending, reader, wallet, neutral, debt=False)
    assert_crossing(lending, reader, wallet, "BNB", debt=True)


# --- the guard's repay ------------------------------------------------------------------------


def guard_step(
    lending: LendingScene,
    reader: LendingProtocol,
    executor: ProtectExecutor,
    borrower: str,
) -> bool:
    """One guard cycle: read, decide, and carry out the action if any. True when it acted."""
    snap = read(lending, reader, borrower)
    decision = decide(
        snap, params=PARAMS, reserves=lending.reserves(executor.sender), spent_today_usd=D(0)
    )
    assert decision.triggered == (exact_health_factor_wad(snap) < hf_to_wad(PARAMS.trigger_hf))
    if decision.action is None:
        return False
    report = executor.execute(decision.action)
    assert report.ok, report.message
    return True


def test_the_guards_repay_restores_the_target_on_the_chain(
    lending: LendingScene, journal: Journal
) -> None:
    borrower, reserve = lending.account(BORROWER), lending.account(RESERVE)
    lending.open_position(borrower, collateral={"BNB": D(10)}, debt={"USD": D(3_000)})
    lending.fund_reserve(reserve, D(5_000))
    lending.set_price("BNB", D(450))  # Aave HF 1.125 (LT 0.75), Venus 1.2 (LT 0.8)
    reader = lending.reader()
    executor = lending.executor(reader, journal)
    before = read(lending, reader, borrower)
    assert exact_health_factor_wad(before) < hf_to_wad(PARAMS.trigger_hf)
    decision = decide(
        before, params=PARAMS, reserves=lending.reserves(reserve), spent_today_usd=D(0)
    )
    action = decision.action
    assert action is not None, decision.reason
    assert action.reaches_target
    report = executor.execute(action)
    assert report.ok, report.message
    after = read(lending, reader, borrower)  # its verdict is the chain's, to the unit
    assert exact_health_factor_wad(after) >= hf_to_wad(PARAMS.target_hf)
    assert not lending.chain_verdict(borrower, after.block_number).liquidatable
    usd = lending.symbol("USD")
    repaid = holdings(before)[usd][1] - holdings(after).get(usd, (D(0), D(0)))[1]
    assert abs(repaid - action.amount) < D("0.01")  # what was sent, less interest meanwhile
    assert lending.reserves(reserve)[0].balance == D(5_000) - action.amount


# --- a liquidator every block during a crash ----------------------------------------------------

CRASH_STEPS = 30
CRASH_STEP = D("0.96")  # BNB -4 % a block: 600 -> 176 over the crash


def crash(lending: LendingScene, journal: Journal, *, guarded: bool) -> list[bool]:
    """BNB falls a step a block; after each step the guard (if on) decides and repays, and the
    liquidator tries after every block the guard or the oracle mined. Returns the attempts'
    outcomes, stopping at the first success."""
    borrower, reserve = lending.account(BORROWER), lending.account(RESERVE)
    liquidator = lending.account(LIQUIDATOR)
    lending.open_position(borrower, collateral={"BNB": D(100)}, debt={"USD": D(30_000)})
    lending.fund_reserve(reserve, D(30_000))
    reader = lending.reader()
    executor = lending.executor(reader, journal)
    attempts: list[bool] = []

    def attempt() -> bool:
        attempts.append(lending.try_liquidate(liquidator, borrower, collateral="BNB", debt="USD"))
        return attempts[-1]

    price = D(600)
    for _ in range(CRASH_STEPS):
        price = (price * CRASH_STEP).quantize(D("0.01"))
        lending.set_price("BNB", price)
        if attempt():
            break
        if guarded and guard_step(lending, reader, executor, borrower) and attempt():
            break
    if guarded:
        assert lending.reserves(reserve)[0].balance > 0, "the reserve ran out: not the test"
        snap = read(lending, reader, borrower)
        assert holdings(snap)[lending.symbol("BNB")][0] == D(100)  # no collateral ever seized
    return attempts


def test_the_guard_keeps_a_liquidator_out_through_a_crash(
    lending: LendingScene, journal: Journal
) -> None:
    attempts = crash(lending, journal, guarded=True)
    assert len(attempts) >= CRASH_STEPS
    assert not any(attempts), "a liquidation went through while the guard had reserve"


def test_without_the_guard_the_same_crash_is_liquidated(
    lending: LendingScene, journal: Journal
) -> None:
    attempts = crash(lending, journal, guarded=False)
    assert attempts[-1], f"never liquidated in {len(attempts)} attempts"
    assert not any(attempts[:-1])

"""The Venus reader on the real core pool (anvil): hedgebot's liquidity and shortfall equal
``comptroller.getAccountLiquidity`` to the unit, a snapshot is one RPC request, and at each
predicted liquidation price the shortfall turns positive exactly one oracle step beyond it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.chain.venus import VenusCoreReader
from bot.core.health import exact_health_factor
from bot.core.liquidation import liquidation_price
from bot.core.venus_math import account_liquidity
from bot.devnet.venus_devnet import VenusDevnet
from tests.lending.scenes import VenusScene, assert_crossing, read

pytestmark = pytest.mark.venus
D = Decimal
USD = 10**18


@pytest.fixture
def scene(venus_devnet: VenusDevnet) -> VenusScene:
    return VenusScene(venus_devnet)


@pytest.fixture
def reader(scene: VenusScene) -> VenusCoreReader:
    return scene.reader()


def test_single_collateral_bnb_with_usdt_debt(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    wallet = venus_devnet.account(2)
    venus_devnet.open_position(wallet, collateral={"BNB": D(10)}, debt={"USDT": D(4_000)})
    snap = read(scene, reader, wallet)
    bnb = next(a for a in snap.assets if a.symbol == "BNB")
    assert (bnb.collateral, bnb.price_usd, bnb.liquidation_threshold) == (D(10), D(600), D("0.8"))
    assert bnb.collateral_enabled
    assert bnb.liquidation_bonus == D("0.1")
    assert exact_health_factor(snap) == D("1.2")  # 0.8 x $6,000 / $4,000
    price = assert_crossing(scene, reader, wallet, "BNB", debt=False)
    assert price == D(500)  # $4,000 / (0.8 x 10 BNB), exact at 1e-18
    # and a liquidator can act one step below: the chain agrees it is liquidatable
    venus_devnet.set_price("BNB", price - scene.price_step("BNB"))
    outcome = venus_devnet.liquidate(venus_devnet.account(3), wallet, debt="USDT",
                                     collateral="BNB")  # fmt: skip
    assert outcome.ok


def test_mixed_collateral_with_an_uneven_exchange_rate(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    wallet = venus_devnet.account(4)
    # someone borrows BTCB, so BTCB's exchange rate grows with interest too
    other = venus_devnet.account(10)
    venus_devnet.open_position(other, collateral={"USDT": D(500_000)}, debt={"BTCB": D(3)})
    venus_devnet.open_position(
        wallet,
        collateral={"BNB": D("7.123456789012345678"), "BTCB": D("0.0987654321")},
        debt={"USDT": D("7000.777777777777777777")},
    )
    # interest moves the exchange rates off round numbers: the comptroller's truncations bite
    venus_devnet.mine(150)
    for symbol in ("USDT", "BNB", "BTCB"):
        venus_devnet.accrue_interest(symbol)
    snap = read(scene, reader, wallet)
    rates = {a.symbol: a.supply_shares.exchange_rate for a in snap.assets if a.supply_shares}
    assert rates["BTCB"] != 10**28
    assert_crossing(scene, reader, wallet, "BTCB", debt=False)


def test_bnb_debt_against_btcb(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    wallet = venus_devnet.account(5)
    venus_devnet.open_position(wallet, collateral={"BTCB": D("0.25")}, debt={"BNB": D(15)})
    snap = read(scene, reader, wallet)
    bnb = next(a for a in snap.assets if a.symbol == "BNB")
    assert bnb.debt == D(15)
    assert bnb.address == "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"
    # 0.8 x $15,000 / 15 BNB = $800: BNB rising past it liquidates
    assert assert_crossing(scene, reader, wallet, "BNB", debt=True) == D(800)


def test_after_interest_accrues_and_with_vai(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    wallet = venus_devnet.account(6)
    venus_devnet.open_position(
        wallet, collateral={"BNB": D(5), "BTCB": D("0.05")}, debt={"USDT": D(2_500)}
    )
    venus_devnet.mint_vai(wallet, D(1_000))
    venus_devnet.supply(wallet, "ETH", D(2))  # supplied, never entered: not collateral
    first = read(scene, reader, wallet)
    venus_devnet.mine(300)  # views do not accrue: the stored values still match the chain
    same = read(scene, reader, wallet)
    assert account_liquidity(same) == account_liquidity(first)
    venus_devnet.accrue_interest("USDT")
    venus_devnet.accrue_vai_interest()
    later = read(scene, reader, wallet)
    assert account_liquidity(later)[0] < account_liquidity(first)[0]
    by_symbol = {a.symbol: a for a in later.assets}
    assert by_symbol["VAI"].debt > D(1_000)
    assert not by_symbol["ETH"].collateral_enabled
    assert by_symbol["ETH"].collateral == D(2)
    assert_crossing(scene, reader, wallet, "BNB", debt=False)


def test_account_data_batch_agrees_with_snapshots(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    a, b = venus_devnet.account(7), venus_devnet.account(8)
    venus_devnet.open_position(a, collateral={"BNB": D(10)}, debt={"USDT": D(4_000)})
    venus_devnet.open_position(b, collateral={"BTCB": D("0.1")}, debt={"BNB": D(2)})
    data = reader.account_data_batch([a, b, venus_devnet.account(9)])
    for wallet in (a, b):
        snap = read(scene, reader, wallet)
        assert data[wallet].health_factor == exact_health_factor(replace(snap))
    assert data[a].total_collateral_usd == D(6_000)
    assert data[a].total_debt_usd == D(4_000)
    assert data[venus_devnet.account(9)].health_factor == D("Infinity")


def test_a_liquidation_books_interest_first_so_it_crosses_at_the_views_price(
    scene: VenusScene, reader: VenusCoreReader, venus_devnet: VenusDevnet
) -> None:
    """The prediction is exact for ``getAccountLiquidity`` (stored balances), but a liquidation
    accrues the debt's market before its check: at the predicted price, where the view says a
    shortfall of exactly 0, the interest of the blocks since the last accrual (here the
    oracle's, the liquidator's funding and approval blocks) already makes it liquidatable."""
    wallet = venus_devnet.account(3)
    venus_devnet.open_position(wallet, collateral={"BNB": D(10)}, debt={"USDT": D(4_000)})
    price = liquidation_price(read(scene, reader, wallet), "BNB")
    assert price == D(500)
    venus_devnet.set_price("BNB", price)
    assert venus_devnet.account_liquidity(wallet) == (0, 0, 0)  # the view: exactly at the edge
    current = venus_devnet.borrow_balance(wallet, "USDT", current=True)
    assert current > venus_devnet.borrow_balance(wallet, "USDT")  # interest not booked yet
    assert scene.try_liquidate(venus_devnet.account(5), wallet, collateral="BNB", debt="USD")

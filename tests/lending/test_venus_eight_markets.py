"""A Venus wallet in 8 markets (as a mainnet account may be) is still one snapshot = one RPC
request, and hedgebot's liquidity equals ``getAccountLiquidity`` to the unit, including
DOGE's 8-decimal token whose oracle price is USD x 1e28."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.account_model import account_model
from bot.devnet.venus_devnet import VenusDevnet
from tests.lending.scenes import VenusScene, holdings, read
from tests.protect.conftest import BORROWER

pytestmark = pytest.mark.venus
D = Decimal
COLLATERAL = {"BNB": D(10), "BTCB": D("0.1"), "ETH": D(2), "USDT": D(5_000),
              "DOGE": D("20000.12345678"), "FDUSD": D(3_000)}  # fmt: skip
DEBT = {"USDC": D(4_000), "XRP": D(6_000), "DOGE": D(5_000), "ETH": D("0.5")}


def test_a_wallet_in_eight_markets_is_one_request_and_exact(venus_devnet: VenusDevnet) -> None:
    scene = VenusScene(venus_devnet)
    wallet = venus_devnet.account(BORROWER)
    for symbol, amount in COLLATERAL.items():
        venus_devnet.supply(wallet, symbol, amount)
    everything = [m.symbol for m in venus_devnet.deployment.markets]
    assert len(everything) == 8
    venus_devnet.enter_markets(wallet, everything)
    for symbol, amount in DEBT.items():
        venus_devnet.borrow(wallet, symbol, amount)
    reader = scene.reader()
    snap = read(scene, reader, wallet)  # one request; liquidity and shortfall to the unit
    assert {a.symbol for a in snap.assets} == set(everything)
    assert all(a.collateral_enabled for a in snap.assets)
    held = holdings(snap)
    assert held["DOGE"] == (D("20000.12345678"), D(5_000))
    assert held["XRP"] == (D(0), D(6_000))
    doge = next(a for a in snap.assets if a.symbol == "DOGE")
    assert doge.price_usd == D("0.15")
    assert account_model(snap).price_step(doge) == D("1e-28")
    # interest in every market: exchange rates and debts leave round numbers, still exact
    scene.accrue_interest(100)
    later = read(scene, reader, wallet)
    assert holdings(later)["DOGE"][1] > D(5_000)
    assert later.block_number > snap.block_number

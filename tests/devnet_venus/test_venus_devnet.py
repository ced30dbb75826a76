"""The Venus devnet is the real core pool: positions, oracle moves, EOA liquidation, interest.

Amounts are chosen so the comptroller's answers are exact in the block they are read: prices are
BNB $600, BTCB $60,000, USDT $1 (all 18 decimals); CF/LT are 0.75/0.80 for BNB and BTCB.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from bot.chain.venus_errors import COMPTROLLER_ERRORS, TOKEN_ERRORS
from bot.devnet.venus import (
    CORE_POOL_ID,
    FACETS,
    MANTISSA,
    NATIVE_TOKEN_ADDR,
    ZERO_ADDRESS,
    VenusDeployment,
    VenusFailure,
    at,
)
from bot.devnet.venus_artifacts import ORACLE
from bot.devnet.venus_cache import SEED_LIQUIDITY, cached_paths, start_venus_devnet
from bot.devnet.venus_devnet import LIQUIDITY_PROVIDER_INDEX, VenusDevnet

pytestmark = pytest.mark.venus

USD = MANTISSA  # getAccountLiquidity's unit
COLLATERAL = {"BNB": Decimal(10), "BTCB": Decimal("0.1")}  # $6,000 + $6,000
DEBT = {"USDT": Decimal(8_000)}


def _open(devnet: VenusDevnet, index: int = 2) -> str:
    wallet = devnet.account(index)
    devnet.open_position(wallet, collateral=COLLATERAL, debt=DEBT)
    return wallet


def test_deployment_is_the_diamond_core_pool(venus_devnet: VenusDevnet) -> None:
    d = venus_devnet.deployment
    c = venus_devnet.comptroller.functions
    assert c.oracle().call() == d.oracle
    assert c.deviationBoundedOracle().call() == d.deviation_bounded_oracle
    assert c.comptrollerLens().call() == d.comptroller_lens
    assert c.admin().call() == d.deployer
    assert c.liquidatorContract().call() == ZERO_ADDRESS  # any EOA may liquidate
    assert c.closeFactorMantissa().call() == MANTISSA // 2
    facets = {f[0]: len(f[1]) for f in c.facets().call()}
    assert set(facets) == set(d.facets)
    assert len(d.facets) == len(FACETS)
    assert all(n > 0 for n in facets.values())
    assert set(c.getAllMarkets().call()) == {m.v_token for m in d.markets}
    listed, cf, _, lt, li, pool_id, borrow_ok = c.markets(d.market("BTCB").v_token).call()
    assert (listed, cf, lt, li, pool_id, borrow_ok) == (
        True, 75 * MANTISSA // 100, 80 * MANTISSA // 100, 110 * MANTISSA // 100, CORE_POOL_ID,
        True,
    )  # fmt: skip
    assert len(venus_devnet.w3.eth.get_code(Web3.to_checksum_address(d.multicall3))) > 0


def test_deployment_json_round_trip(venus_devnet: VenusDevnet) -> None:
    d = venus_devnet.deployment
    assert VenusDeployment.from_json(d.to_json()) == d
    assert d.market("BNB").native
    assert d.market("vBNB").oracle_asset == NATIVE_TOKEN_ADDR
    assert d.market("USDT").underlying is not None


def test_prices_are_venus_scaled_and_settable_for_bnb(venus_devnet: VenusDevnet) -> None:
    d = venus_devnet.deployment
    oracle = at(venus_devnet.w3, "ResilientOracle", d.oracle, ORACLE).functions
    v_bnb = Web3.to_checksum_address(d.market("BNB").v_token)
    # 18-decimal tokens: price × 1e(36 − 18)
    assert oracle.getUnderlyingPrice(v_bnb).call() == 600 * MANTISSA
    assert venus_devnet.price("BTCB") == Decimal(60_000)
    venus_devnet.set_price("BNB", Decimal("512.5"))
    assert oracle.getUnderlyingPrice(v_bnb).call() == 5125 * MANTISSA // 10
    bounded = at(venus_devnet.w3, "DeviationBoundedOracle", d.deviation_bounded_oracle)
    assert bounded.functions.getBoundedPricesView(v_bnb).call() == [5125 * MANTISSA // 10] * 2


def test_supply_bnb_and_btcb_borrow_usdt_leaves_liquidity(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    # at the liquidation threshold: 0.8 × $12,000 − $8,000
    assert venus_devnet.account_liquidity(wallet) == (0, 1_600 * USD, 0)
    # the borrow check uses the collateral factor: 0.75 × $12,000 − $8,000
    power = venus_devnet.comptroller.functions.getBorrowingPower(wallet).call()
    assert power == [0, 1_000 * USD, 0]
    assert venus_devnet.borrow_balance(wallet, "USDT") == 8_000 * MANTISSA
    usdt = venus_devnet.underlying("USDT").functions.balanceOf(wallet).call()
    assert usdt == 8_000 * MANTISSA


def test_price_drop_turns_liquidity_into_shortfall(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    venus_devnet.set_prices({"BNB": Decimal(300), "BTCB": Decimal(30_000)})
    err, liquidity, shortfall = venus_devnet.account_liquidity(wallet)
    # $8,000 (plus a few blocks of interest) − 0.8 × $6,000
    assert (err, liquidity) == (0, 0)
    assert 3_200 * USD <= shortfall < 3_201 * USD


def test_eoa_liquidates_a_shortfall_and_seizes_collateral(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    liquidator = venus_devnet.account(3)
    venus_devnet.set_prices({"BNB": Decimal(300), "BTCB": Decimal(30_000)})
    d = venus_devnet.deployment
    repay = 2_000 * MANTISSA
    seize_calc = venus_devnet.comptroller.get_function_by_signature(
        "liquidateCalculateSeizeTokens(address,address,uint256)"
    )
    err, expected = seize_calc(d.market("USDT").v_token, d.market("BTCB").v_token, repay).call()
    assert err == 0
    assert expected > 0
    debt_before = venus_devnet.borrow_balance(wallet, "USDT", current=True)
    held_before = venus_devnet.v_token_balance(wallet, "BTCB")

    outcome = venus_devnet.liquidate(
        liquidator, wallet, debt="USDT", collateral="BTCB", repay_raw=repay
    )

    assert outcome.ok
    assert (outcome.status, outcome.return_code, outcome.failures) == (1, 0, ())
    assert (outcome.repay_amount, outcome.seize_tokens) == (repay, expected)
    # $2,000 × 1.10 / $30,000 = 0.073333 BTCB at 1 BTCB per vBTCB, but Venus first rounds
    # LI × priceBorrowed / (priceCollateral × exchangeRate) down to 18 decimals: 3666e-18
    assert expected == 3_666 * 2_000

    assert venus_devnet.v_token_balance(liquidator, "BTCB") == expected
    assert venus_devnet.v_token_balance(wallet, "BTCB") == held_before - expected
    debt_after = venus_devnet.borrow_balance(wallet, "USDT")
    assert debt_before - repay <= debt_after < debt_before - repay + MANTISSA // 1000


def test_liquidating_a_healthy_account_is_a_mined_rejection(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    liquidator = venus_devnet.account(3)
    outcome = venus_devnet.try_liquidate(
        liquidator, wallet, debt="USDT", collateral="BTCB", repay_raw=100 * MANTISSA
    )
    # Compound style: the transaction succeeds, the code and the Failure event say no
    assert outcome.status == 1
    assert outcome.return_code == TOKEN_ERRORS.index("COMPTROLLER_REJECTION")
    assert len(outcome.failures) == 1
    assert "INSUFFICIENT_SHORTFALL" in outcome.failures[0]
    assert (outcome.repay_amount, outcome.seize_tokens) == (0, 0)
    assert venus_devnet.v_token_balance(liquidator, "BTCB") == 0
    with pytest.raises(VenusFailure, match="INSUFFICIENT_SHORTFALL") as info:
        venus_devnet.liquidate(liquidator, wallet, debt="USDT", collateral="BTCB")
    assert info.value.code == TOKEN_ERRORS.index("COMPTROLLER_REJECTION")


def test_a_refused_borrow_is_named_and_the_vtoken_reverts(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    too_much = Decimal(1_001)  # $1,000 of borrowing power is left
    with pytest.raises(VenusFailure, match="INSUFFICIENT_LIQUIDITY") as info:
        venus_devnet.borrow(wallet, "USDT", too_much)
    assert info.value.code == COMPTROLLER_ERRORS.index("INSUFFICIENT_LIQUIDITY")
    # unlike a refused liquidation, a refused borrow reverts, with a misleading message
    raw_borrow = venus_devnet.v_token("USDT").functions.borrow(venus_devnet.raw("USDT", too_much))
    with pytest.raises(ContractLogicError, match="math error"):
        raw_borrow.call({"from": wallet})
    # not all of it: the borrow's block accrues interest on the $8,000 first
    venus_devnet.borrow(wallet, "USDT", Decimal(999))
    assert venus_devnet.borrow_balance(wallet, "USDT") >= 8_999 * MANTISSA


def test_interest_accrues_per_block(venus_devnet: VenusDevnet) -> None:
    wallet = _open(venus_devnet)
    v_usdt = venus_devnet.v_token("USDT").functions
    rate = v_usdt.borrowRatePerBlock().call()
    start_block = v_usdt.accrualBlockNumber().call()
    principal = venus_devnet.borrow_balance(wallet, "USDT")
    venus_devnet.mine(200)
    assert venus_devnet.borrow_balance(wallet, "USDT") == principal  # views do not accrue
    venus_devnet.accrue_interest("USDT")
    blocks = v_usdt.accrualBlockNumber().call() - start_block
    assert blocks >= 201
    owed = venus_devnet.borrow_balance(wallet, "USDT")
    expected = principal * rate * blocks // MANTISSA
    assert expected > 0
    assert abs((owed - principal) - expected) <= expected // 10**6 + 1


def test_vai_debt_counts_against_liquidity_and_accrues(venus_devnet: VenusDevnet) -> None:
    wallet = venus_devnet.account(4)
    venus_devnet.open_position(wallet, collateral=COLLATERAL, debt={})
    assert venus_devnet.comptroller.functions.vaiController().call() == (
        venus_devnet.deployment.vai_controller
    )
    venus_devnet.mint_vai(wallet, Decimal(1_000))
    vai = at(venus_devnet.w3, "VAI", venus_devnet.deployment.vai).functions
    assert vai.balanceOf(wallet).call() == 1_000 * MANTISSA
    # 0.8 × $12,000 − $1,000 of VAI (at $1): VAI debt weighs like any borrow
    assert venus_devnet.account_liquidity(wallet) == (0, 8_600 * USD, 0)
    venus_devnet.mine(100)
    venus_devnet.accrue_vai_interest()
    owed = venus_devnet.vai_debt(wallet)
    assert 1_000 * MANTISSA < owed < 1_000 * MANTISSA * 1_000_001 // 1_000_000


def test_cache_is_reused_on_a_second_start(
    venus_devnet_session: VenusDevnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_path, _ = cached_paths()
    assert state_path.is_file()  # the session fixture built or found it
    mtime = state_path.stat().st_mtime_ns

    def no_rebuild() -> None:
        raise AssertionError("the cached Venus devnet was rebuilt")

    monkeypatch.setattr("bot.devnet.venus_cache.build_cache", no_rebuild)
    begin = time.monotonic()
    with start_venus_devnet() as devnet:
        elapsed = time.monotonic() - begin
        lp = devnet.account(LIQUIDITY_PROVIDER_INDEX)
        seeded = devnet.v_token_balance(lp, "USDT")
    assert state_path.stat().st_mtime_ns == mtime
    assert seeded == int(SEED_LIQUIDITY["USDT"]) * 10**8  # 1 USDT per vUSDT, 8 decimals
    assert elapsed < 15  # ~1 s on an idle machine; generous for a loaded 2-core CI

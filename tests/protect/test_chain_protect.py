"""On the REAL Aave v3 deployment on anvil: the reserve repays keep a falling position out of
liquidation without touching its collateral, until the reserve runs out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from web3 import Web3

from bot.core.repay import ActionKind, decide
from bot.core.repay_math import find_asset
from bot.devnet.devnet import Devnet, LiquidationReverted
from bot.journal import Journal
from bot.journal.records import TxStatus
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import AavePoolWrites
from tests.protect.chain_helpers import PARAMS, scene
from tests.protect.conftest import LIQUIDATOR, make_txm

pytestmark = pytest.mark.chain
WAD = 10**18


def executor_for(devnet: Devnet, journal: Journal, **kw: object) -> ProtectExecutor:
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    return ProtectExecutor(
        w3, make_txm(devnet, journal, **kw), writes=AavePoolWrites(w3, devnet.deployment.pool)
    )


def test_reserve_repays_hold_off_liquidation_until_the_reserve_is_exhausted(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000))
    executor = executor_for(devnet, journal)
    liquidator = devnet.account(LIQUIDATOR)
    btc_units = find_asset(s.snapshot(), "WBTC").collateral
    assert btc_units == Decimal("1.5")
    price, spent = Decimal(60000), Decimal(0)
    reserve_address = Web3.to_checksum_address(s.reserve_wallet)
    nonce_before = devnet.w3.eth.get_transaction_count(reserve_address)
    repays: list[tuple[Decimal, Decimal]] = []  # (price, amount)
    exhausted_at = liquidated_at = None
    while price > 5000:
        price = (price * Decimal("0.97")).quantize(Decimal("0.01"))
        devnet.set_price("WBTC", price)
        hf_before = s.hf_wad()
        decision = decide(s.snapshot(), params=PARAMS, reserves=s.reserves(), spent_today_usd=spent)
        assert decision.triggered == (hf_before < 13 * WAD // 10)
        if decision.action is not None:
            report = executor.execute(decision.action)
            assert report.ok, report.message
            spent += decision.action.amount_usd
            repays.append((price, decision.action.amount))
            if decision.action.reaches_target:
                assert s.hf_wad() >= 16 * WAD // 10, "a full repay must restore target_hf"
            else:
                assert decision.action.limited_by == "reserve"
                exhausted_at = exhausted_at or price
        if s.hf_wad() >= WAD:
            with pytest.raises(LiquidationReverted, match="45"):  # HF_NOT_BELOW_THRESHOLD
                devnet.liquidate(liquidator, s.borrower, collateral="WBTC", debt="USDC")
            assert find_asset(s.snapshot(), "WBTC").collateral == btc_units  # never sold
            continue
        devnet.liquidate(liquidator, s.borrower, collateral="WBTC", debt="USDC")  # succeeds
        liquidated_at = price
        break
    assert len(repays) >= 3, repays
    assert exhausted_at is not None, "the reserve never ran out"
    assert liquidated_at is not None
    assert liquidated_at < exhausted_at
    assert s.reserve_raw() == 0
    assert sum(a for _, a in repays) == Decimal(30000)
    # only one approve + one repay per action were ever sent by the reserve wallet
    nonce = devnet.w3.eth.get_transaction_count(reserve_address)
    assert nonce - nonce_before == 2 * len(repays)


def test_approve_once_with_an_exact_allowance(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    executor = executor_for(devnet, journal)
    action = s.action()
    approve, main = executor.requests(action)
    assert approve is not None
    assert main.kind == "repay"
    report = executor.execute(action)
    assert report.ok
    assert report.approve is not None
    assert report.approve.ok
    allowance = (
        s.token("USDC")
        .functions.allowance(  # type: ignore[attr-defined]
            s.reserve_wallet, devnet.deployment.pool
        )
        .call()
    )
    assert allowance == 0  # exactly the amount was approved, and the repay used all of it
    assert s.hf_wad() >= 16 * WAD // 10
    # an allowance that already covers the amount is not approved again
    devnet.approve_pool(s.reserve_wallet, "USDC")
    devnet.set_price("WBTC", Decimal(40000))
    report = executor.execute(s.action())
    assert report.ok
    assert report.approve is None


def test_dry_run_reports_and_sends_nothing(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    executor = executor_for(devnet, journal)
    action = s.action()
    nonce = devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(s.reserve_wallet))
    report = executor.execute(action, dry_run=True)
    assert report.dry_run
    assert report.outcome is None
    names = [name for name, _ in report.simulations]
    assert names == ["approve", "repay"]
    assert report.simulations[0][1].ok
    assert report.simulations[0][1].gas_estimate
    assert "nothing sent" in report.message
    assert "approve" in report.message
    after = devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(s.reserve_wallet))
    assert after == nonce
    assert journal.pending_txs() == []
    assert journal.tx(action.key) is None


def test_dry_run_with_an_allowance_simulates_the_repay(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    devnet.approve_pool(s.reserve_wallet, "USDC")
    executor = executor_for(devnet, journal)
    report = executor.execute(s.action(), dry_run=True)
    assert [n for n, _ in report.simulations] == ["repay"]
    assert report.ok, report.message
    assert report.simulations[0][1].gas_limit > report.simulations[0][1].gas_estimate


def test_supply_when_repay_is_impossible(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    params = PARAMS
    decision = decide(
        s.snapshot(),
        params=params,
        reserves=[r.__class__(**{**_fields(r), "repay_allowed": False}) for r in s.reserves()],
        spent_today_usd=Decimal(0),
    )
    assert decision.action is not None
    assert decision.action.kind is ActionKind.SUPPLY
    report = executor_for(devnet, journal).execute(decision.action)
    assert report.ok, report.message
    assert s.hf_wad() >= 16 * WAD // 10
    assert journal.tx(decision.action.key).status is TxStatus.MINED


def _fields(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]

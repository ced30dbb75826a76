"""The risk core's exact model, fed by the reader, equals Aave's own health factor to the unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.rpc import RpcPool
from bot.core.health import exact_health_factor_wad
from bot.core.model import PositionSnapshot
from bot.devnet.devnet import Devnet

pytestmark = pytest.mark.chain
MAX_UINT256 = 2**256 - 1
D = Decimal


def read(devnet: Devnet, reader: AaveV3Reader, wallet: str) -> PositionSnapshot:
    _, ts = devnet.latest_block()
    snap = reader.snapshot(wallet, now=ts)
    assert snap.stale_reason is None
    return snap


def assert_exact(devnet: Devnet, snap: PositionSnapshot) -> int:
    """Model == HF reported in the same multicall == a separate getUserAccountData at that block."""
    chain_hf = devnet.account_data(snap.wallet, block=snap.block_number)[5]
    assert snap.reported_health_factor_wad == chain_hf
    assert exact_health_factor_wad(snap) == chain_hf, snap
    return chain_hf


def test_one_collateral_one_debt(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(2)
    devnet.freeze_time()
    devnet.open_position(
        wallet, collateral={"WBTC": D("1.23456789")}, debt={"USDC": D("51234.567891")}
    )
    snap = read(devnet, aave_reader, wallet)
    assert {a.symbol: (a.collateral, a.debt) for a in snap.assets} == {
        "WBTC": (D("1.23456789"), 0),
        "USDC": (0, D("51234.567891")),
    }
    hf = assert_exact(devnet, snap)
    assert D(hf) / D(10**18) == pytest.approx(D("1.1277"), abs=D("0.0001"))


def test_several_collaterals_and_debts(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(3)
    devnet.freeze_time()  # amounts read back exactly as opened: no interest between blocks
    devnet.open_position(
        wallet,
        collateral={"WBTC": D("0.7"), "WETH": D("3.141592653589793238"), "WBNB": D("17.5")},
        debt={"USDC": D("20000.000001"), "WBNB": D("1.999999999999999999"), "WETH": D("0.5")},
    )
    devnet.borrow_stable(wallet, "USDT", D("1000.5"))  # v3.0 stable-rate debt token
    snap = read(devnet, aave_reader, wallet)
    by_symbol = {a.symbol: a for a in snap.assets}
    assert by_symbol["USDT"].debt == D("1000.5")
    assert by_symbol["WBNB"].collateral == D("17.5")
    assert by_symbol["WBNB"].debt == D("1.999999999999999999")
    assert_exact(devnet, snap)


def test_interest_accrued_over_time(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(4)
    devnet.open_position(
        wallet, collateral={"WETH": D(40), "WBTC": D("0.5")}, debt={"USDC": D(90000), "WETH": D(3)}
    )
    devnet.borrow_stable(wallet, "USDT", D("2500"))
    previous = read(devnet, aave_reader, wallet)
    for secs in (3_600, 86_400 * 30, 86_400 * 365):
        devnet.advance_time(secs)
        snap = read(devnet, aave_reader, wallet)
        debts = {a.symbol: a.debt for a in snap.assets if a.debt}
        before = {a.symbol: a.debt for a in previous.assets if a.debt}
        assert all(debts[s] > before[s] for s in debts), (before, debts)
        assert assert_exact(devnet, snap) < (previous.reported_health_factor_wad or 0)
        previous = snap


def test_emode_position(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(5)
    devnet.open_position(
        wallet,
        collateral={"USDC": D("100000.123456"), "WETH": D(1)},
        debt={"USDT": D("90000")},
        emode=1,
    )
    snap = read(devnet, aave_reader, wallet)
    assert snap.emode_category == 1
    by_symbol = {a.symbol: a for a in snap.assets}
    assert by_symbol["USDC"].liquidation_threshold == D("0.95")  # eMode LT
    assert by_symbol["USDC"].liquidation_bonus == D("0.01")
    assert by_symbol["WETH"].liquidation_threshold == D("0.825")  # outside the category
    assert_exact(devnet, snap)
    devnet.advance_time(86_400 * 90)
    assert_exact(devnet, read(devnet, aave_reader, wallet))


def test_no_debt_is_infinite(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(6)
    empty = read(devnet, aave_reader, wallet)
    assert empty.assets == ()
    assert empty.reported_health_factor_wad == MAX_UINT256
    devnet.supply(wallet, "WETH", D(2))
    snap = read(devnet, aave_reader, wallet)
    assert [(a.symbol, a.collateral) for a in snap.assets] == [("WETH", D(2))]
    assert assert_exact(devnet, snap) == MAX_UINT256
    data = aave_reader.account_data_batch([wallet])[snap.wallet]
    assert data.health_factor == Decimal("Infinity")


collateral_amounts = st.fixed_dictionaries(
    {},
    optional={
        "WBTC": st.decimals(D("0.00000001"), D(5), places=8),
        "WETH": st.decimals(D("0.000000000000000001"), D(50), places=18),
        "WBNB": st.decimals(D("0.001"), D(300), places=6),
        "USDC": st.decimals(D(1), D(200_000), places=6),
    },
).filter(lambda c: sum(c.values(), D(0)) > 0)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # shrinking on-chain examples takes forever
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    collateral=collateral_amounts,
    debt_symbol=st.sampled_from(["USDC", "USDT", "WETH", "WBNB"]),
    usage=st.decimals(D("0.05"), D("0.99"), places=4),
    days=st.integers(0, 400),
)
def test_random_positions_match(
    devnet: Devnet,
    collateral: dict[str, Decimal],
    debt_symbol: str,
    usage: Decimal,
    days: int,
) -> None:
    state = devnet.take_state()
    # a reader per example: the rollback between examples moves the block number backwards
    reader = AaveV3Reader(
        RpcPool([devnet.rpc_url], devnet.chain_id),
        devnet.deployment.addresses_provider,
        devnet.chain_id,
    )
    reader.start()
    try:
        wallet = devnet.account(7)
        for symbol, amount in collateral.items():
            devnet.supply(wallet, symbol, amount)
        borrowable_usd = D(devnet.account_data(wallet)[2]) / D(10**8)
        decimals = devnet.deployment.token(debt_symbol).decimals
        amount = (borrowable_usd * usage / devnet.price(debt_symbol)).quantize(
            D(1).scaleb(-min(decimals, 6))
        )
        if amount > 0:
            devnet.borrow(wallet, debt_symbol, amount)
        if days:
            devnet.advance_time(days * 86_400)
        assert_exact(devnet, read(devnet, reader, wallet))
    finally:
        devnet.revert_state(state)

"""On the REAL Venus core pool on anvil: the guard's repay goes to the debt's vToken
(``repayBorrowBehalf``) from the reserve wallet, sized on the comptroller's exact model, and a
call Venus turns down without reverting is reported as failed, not as mined."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from web3 import Web3

from bot.chain.rpc import RpcPool
from bot.chain.venus import VenusCoreReader
from bot.core.health import exact_health_factor
from bot.core.model import PositionSnapshot
from bot.core.repay import ReserveBalance, decide
from bot.devnet.venus_devnet import VenusDevnet
from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session  # noqa: F401
from bot.journal import Journal
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import VenusMarketWrites, writes_for
from bot.wallet.txmanager import TxManager
from tests.protect.chain_helpers import PARAMS
from tests.protect.conftest import BORROWER, LIQUIDATOR, RESERVE, fee_policy, signer_for

pytestmark = pytest.mark.venus
D = Decimal


@pytest.fixture
def reader(venus_devnet: VenusDevnet) -> VenusCoreReader:  # noqa: F811
    rpc = RpcPool([venus_devnet.rpc_url], venus_devnet.chain_id)
    reader = VenusCoreReader(rpc, venus_devnet.deployment.comptroller, venus_devnet.chain_id)
    reader.start()
    return reader


def _executor(devnet: VenusDevnet, reader: VenusCoreReader, journal: Journal) -> ProtectExecutor:
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    txm = TxManager(
        w3,
        signer_for(devnet, RESERVE),  # type: ignore[arg-type]
        journal,
        fee_policy(),
        chain_id=devnet.chain_id,
    )
    return ProtectExecutor(w3, txm, writes=writes_for("venus-core", w3, reader.info))


def _reserves(devnet: VenusDevnet, wallet: str) -> list[ReserveBalance]:
    market = devnet.deployment.market("USDT")
    raw = devnet.underlying("USDT").functions.balanceOf(Web3.to_checksum_address(wallet)).call()
    return [
        ReserveBalance(
            symbol="USDT",
            address=market.underlying,
            decimals=market.decimals,
            balance=D(raw).scaleb(-market.decimals),
        )
    ]


def _snapshot(reader: VenusCoreReader, wallet: str) -> PositionSnapshot:
    return reader.snapshot(wallet, now=int(time.time()))


def test_the_guard_repays_on_the_vtoken_back_to_its_target(
    venus_devnet: VenusDevnet,  # noqa: F811
    reader: VenusCoreReader,
    journal: Journal,
) -> None:
    borrower, reserve = venus_devnet.account(BORROWER), venus_devnet.account(RESERVE)
    venus_devnet.set_price("BNB", D(600))
    venus_devnet.open_position(borrower, collateral={"BNB": D(10)}, debt={"USDT": D(3000)})
    venus_devnet.fund(reserve, "USDT", D(5000))
    venus_devnet.set_price("BNB", D(450))  # HF 10 x 450 x 0.8 / 3000 = 1.2
    before = _snapshot(reader, borrower)
    assert exact_health_factor(before) < PARAMS.trigger_hf
    decision = decide(
        before, params=PARAMS, reserves=_reserves(venus_devnet, reserve), spent_today_usd=D(0)
    )
    assert decision.action is not None, decision.reason
    report = _executor(venus_devnet, reader, journal).execute(decision.action)
    assert report.ok, report.message
    after = _snapshot(reader, borrower)
    assert exact_health_factor(after) >= PARAMS.target_hf
    err, liquidity, shortfall = venus_devnet.account_liquidity(borrower)
    assert (err, shortfall) == (0, 0)
    assert liquidity > 0
    repaid = D(3000) - next(a.debt for a in after.assets if a.symbol == "USDT")
    assert abs(repaid - decision.action.amount) < D("0.01")  # what was sent, less interest


def test_a_call_venus_turns_down_without_reverting_is_a_failure(
    venus_devnet: VenusDevnet,  # noqa: F811
    reader: VenusCoreReader,
) -> None:
    """A liquidation of a healthy account is mined, returns an error code and emits
    ``Failure`` from the debt's vToken: the same receipt shape a refused repay would have."""
    borrower, liquidator = venus_devnet.account(BORROWER), venus_devnet.account(LIQUIDATOR)
    venus_devnet.set_price("BNB", D(600))
    venus_devnet.open_position(borrower, collateral={"BNB": D(10)}, debt={"USDT": D(3000)})
    outcome = venus_devnet.try_liquidate(
        liquidator, borrower, debt="USDT", collateral="BNB", repay_raw=10**18
    )
    assert outcome.status == 1
    assert not outcome.ok
    (tx,) = venus_devnet.w3.eth.get_block(outcome.block, full_transactions=True)["transactions"]
    receipt = venus_devnet.w3.eth.get_transaction_receipt(tx["hash"])
    writes = writes_for("venus-core", venus_devnet.w3, reader.info)
    assert isinstance(writes, VenusMarketWrites)
    before = _snapshot(reader, borrower)
    action = decide(
        before,
        params=PARAMS.__class__(trigger_hf=D(10), target_hf=D(11)),
        reserves=[
            ReserveBalance(
                symbol="USDT",
                address=venus_devnet.deployment.market("USDT").underlying,
                decimals=18,
                balance=D(100),
            )
        ],
        spent_today_usd=D(0),
    ).action
    assert action is not None
    why = writes.failure(receipt, action)
    assert why is not None
    assert "turned the repay down without reverting: Failure(error" in why

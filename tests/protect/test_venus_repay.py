"""On the REAL Venus core pool on anvil: a call Venus turns down without reverting is reported
as failed, not as mined. (That the guard's repay on the vToken restores its target is in the
contract suite, ``tests/lending``, for both protocols.)"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from bot.chain.venus import VenusCoreReader
from bot.core.model import PositionSnapshot
from bot.core.repay import ReserveBalance, decide
from bot.devnet.venus_devnet import VenusDevnet
from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session  # noqa: F401
from bot.protect.venues import VenusMarketWrites, writes_for
from tests.lending.scenes import VenusScene
from tests.protect.chain_helpers import PARAMS
from tests.protect.conftest import BORROWER, LIQUIDATOR

pytestmark = pytest.mark.venus
D = Decimal


@pytest.fixture
def reader(venus_devnet: VenusDevnet) -> VenusCoreReader:  # noqa: F811
    return VenusScene(venus_devnet).reader()


def _snapshot(reader: VenusCoreReader, wallet: str) -> PositionSnapshot:
    return reader.snapshot(wallet, now=int(time.time()))


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
    assert "turned the repay down without reverting: vToken" in why
    assert "Failure COMPTROLLER_REJECTION" in why

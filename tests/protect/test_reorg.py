"""A reorg that drops a mined repay (issue 14, finding 8): the journal keeps each receipt's
block hash, the guard sees the hash change at that height, reopens the transaction and the
daily cap follows the chain (on anvil with the real Aave v3)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from web3 import Web3

from bot.daemon.board import MarketBoard
from bot.daemon.guard.read import GuardReads
from bot.devnet.devnet import Devnet
from bot.journal import Journal, TxStatus
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import AavePoolWrites
from tests.protect.chain_helpers import scene
from tests.protect.conftest import make_txm

pytestmark = pytest.mark.chain


def test_a_repay_removed_by_a_reorg_leaves_the_daily_cap(devnet: Devnet, journal: Journal) -> None:
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(52000))
    before_repay = devnet.take_state()
    txm = make_txm(devnet, journal)
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    report = ProtectExecutor(w3, txm, writes=AavePoolWrites(w3, devnet.deployment.pool)).execute(
        s.action()
    )
    assert report.ok, report.message
    reads = GuardReads(
        position="main", wallet=s.borrower, reader=s.reader, journal=journal,
        board=MarketBoard(), reserve=None, marks_max_age_secs=5,
    )  # fmt: skip
    now = datetime.now(UTC)
    repaid = report.action.amount
    assert reads.spent_today_usd(now) == repaid
    head = devnet.latest_block()[0]
    assert reads.reorged(head) == []  # the chain still has the block

    devnet.revert_state(before_repay)  # the blocks with the approve and the repay are gone...
    devnet.mine(3)  # ...and others take their heights
    reopened = reads.reorged(devnet.latest_block()[0])

    assert report.outcome is not None
    assert report.outcome.key in reopened
    assert reads.spent_today_usd(now) == 0
    settled = {o.key: o for o in txm.recover()}
    record = journal.tx(report.outcome.key)
    assert record is not None
    if record.status is TxStatus.MINED:  # the node put it back in a block: counted again
        assert reads.spent_today_usd(now) == repaid
    else:
        assert settled[report.outcome.key].status is TxStatus.DROPPED
        assert reads.spent_today_usd(now) == 0

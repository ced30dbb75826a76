"""The guard polls faster than blocks come: on a quiet chain its reorg check reads the recent
transactions' block headers once per new head, not on every poll, and still reopens a
transaction whose block changed once the head moves."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bot.daemon.board import MarketBoard
from bot.daemon.guard.read import GuardReads

HASH = "0x" + "ab" * 32
OTHER = "0x" + "cd" * 32


class Chain:
    """Stands in for the reader's RPC pool: answers block-hash reads, counting them."""

    def __init__(self) -> None:
        self.hash_at = {90: HASH}
        self.reads = 0

    def call(self, what: str, read: Callable[[Any], Any]) -> Any:
        self.reads += 1
        number = int(what.split()[1])
        return self.hash_at.get(number)


class Txs:
    """Stands in for the journal: one repay mined in block 90."""

    def __init__(self) -> None:
        self.queries = 0
        self.reopened: list[str] = []
        receipt = SimpleNamespace(
            receipt_block=90, receipt_block_hash=HASH, intent=SimpleNamespace(tx_key="repay-1")
        )
        self.mined = [receipt]

    def txs_mined_from(self, block: int) -> list[Any]:
        self.queries += 1
        return [t for t in self.mined if t.receipt_block >= block]

    def reopen_tx(self, key: str, *, reason: str) -> None:
        self.reopened.append(key)
        self.mined = []


def _reads(chain: Chain, txs: Txs) -> GuardReads:
    reader: Any = SimpleNamespace(rpc=chain)
    journal: Any = txs
    return GuardReads(
        position="main",
        wallet="0x" + "11" * 20,
        reader=reader,
        journal=journal,
        board=MarketBoard(),
        reserve=None,
        marks_max_age_secs=5,
    )


def test_a_quiet_head_is_checked_once() -> None:
    chain, txs = Chain(), Txs()
    reads = _reads(chain, txs)
    for _ in range(10):  # ten polls, one block
        assert reads.reorged(100) == []
    assert (chain.reads, txs.queries) == (1, 1)
    assert reads.reorged(101) == []  # a new block: checked again
    assert (chain.reads, txs.queries) == (2, 2)


def test_a_changed_block_is_reopened_when_the_head_moves() -> None:
    chain, txs = Chain(), Txs()
    reads = _reads(chain, txs)
    assert reads.reorged(100) == []
    chain.hash_at[90] = OTHER  # block 90 replaced
    assert reads.reorged(101) == ["repay-1"]
    assert txs.reopened == ["repay-1"]

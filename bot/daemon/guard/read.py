"""The guard's reads: the position (one chain call), its switch, fresh marks, the reserve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from time import monotonic

from web3 import Web3
from web3.exceptions import BlockNotFound

from bot.chain.abis import load_abi
from bot.chain.protocol import LendingProtocol
from bot.core.model import PositionSnapshot
from bot.core.repay import ReserveBalance
from bot.daemon.board import MarketBoard
from bot.daemon.snapshot_reuse import HeadConfirmations, Reused, SnapshotReuse
from bot.journal import GuardSwitch, Journal, TxStatus

SPENDING_KINDS = ("repay", "supply")
# BNB Chain finalises in a few blocks; 64 covers Ethereum's two epochs of unsafe head too.
REORG_DEPTH_BLOCKS = 64


class ReserveWallet:
    """Balances of the reserve tokens in the wallet that repays (decimals read once)."""

    def __init__(self, reader: LendingProtocol, *, owner: str, tokens: Sequence[str]) -> None:
        self._reader = reader
        self._owner = Web3.to_checksum_address(owner)
        self._tokens = tuple(tokens)
        self._decimals: dict[str, int] = {}

    def balances(self) -> tuple[ReserveBalance, ...]:
        by_symbol = {r.symbol: r for r in self._reader.info.reserves}
        listed = [(s, by_symbol[s].asset) for s in self._tokens if s in by_symbol]
        return tuple(self._balance(symbol, asset) for symbol, asset in listed)

    def _balance(self, symbol: str, asset: str) -> ReserveBalance:
        if asset not in self._decimals:
            self._decimals[asset] = int(self._call(f"{symbol}.decimals", asset, "decimals"))
        decimals = self._decimals[asset]
        raw = int(self._call(f"{symbol}.balanceOf", asset, "balanceOf", self._owner))
        return ReserveBalance(
            symbol=symbol,
            address=asset,
            decimals=decimals,
            balance=Decimal(raw) / Decimal(10) ** decimals,
        )

    def _call(self, what: str, asset: str, fn: str, *args: object) -> int:
        def read(w3: Web3) -> int:
            token = w3.eth.contract(address=Web3.to_checksum_address(asset), abi=load_abi("ERC20"))
            return int(getattr(token.functions, fn)(*args).call())

        return self._reader.rpc.call(what, read)


class GuardReads:
    """Everything the guard reads, from the chain, the journal and the hedger's board."""

    def __init__(
        self,
        *,
        position: str,
        wallet: str,
        reader: LendingProtocol,
        journal: Journal,
        board: MarketBoard,
        reserve: ReserveWallet | None,
        marks_max_age_secs: float,
        reuse: SnapshotReuse | None = None,
    ) -> None:
        self.position = position
        self._wallet = wallet
        self._reader = reader
        self._journal = journal
        self._board = board
        self._reserve = reserve
        self._marks_max_age_secs = marks_max_age_secs
        self._reorg_checked_at: int | None = None  # head of the last check that found none
        self._reuse = reuse
        self._switch: tuple[GuardSwitch, float] | None = None  # the last read, and when

    def follow(self, chain_id: int, heads: HeadConfirmations) -> None:
        """``chain_id``'s head watcher: while the position's own confirms the last snapshot's
        block is the head, ``reused_snapshot`` gives that snapshot again."""
        if self._reuse is not None:
            self._reuse.follow(chain_id, heads)

    def snapshot(self, now: datetime) -> PositionSnapshot:
        found = self._reader.snapshot(self._wallet, now=int(now.timestamp()))
        if self._reuse is not None:
            self._reuse.keep(found)
        return found

    def reused_snapshot(self, now: datetime) -> Reused | None:
        """The last snapshot, while the chain provably has no newer block; None: read."""
        return None if self._reuse is None else self._reuse.current(now)

    def switch(self, *, max_age_secs: float = 0.0) -> GuardSwitch:
        """The operator's switch; a read younger than ``max_age_secs`` may answer."""
        last = self._switch
        if last is not None and monotonic() - last[1] < max_age_secs:
            return last[0]
        switch = self._journal.guard_switch(self.position)
        self._switch = (switch, monotonic())
        return switch

    def marks(self, now: datetime) -> Mapping[str, Decimal] | None:
        note = self._board.fresh(now, max_age_secs=self._marks_max_age_secs)
        return None if note is None else note.marks

    def hedge_profit_usd(self, now: datetime) -> Decimal:
        note = self._board.fresh(now, max_age_secs=self._marks_max_age_secs)
        return Decimal(0) if note is None else note.hedge_profit_usd

    def reserves(self) -> tuple[ReserveBalance, ...]:
        return () if self._reserve is None else self._reserve.balances()

    def reorged(self, head: int, *, depth: int = REORG_DEPTH_BLOCKS) -> list[str]:
        """Transactions journaled as mined in the last ``depth`` blocks whose block the chain
        no longer has: reopened in the journal (pending again) and returned by key. Costs one
        indexed read while no recent transaction exists, one block header per recent one, and
        nothing while the head has not moved since a check that found none: the guard polls
        faster than blocks come, and on a quiet chain the same headers were read on every
        poll. A reorg that keeps the head's height is seen with the next block."""
        if head == self._reorg_checked_at:
            return []
        out = []
        for tx in self._journal.txs_mined_from(head - depth):
            number, known = tx.receipt_block, tx.receipt_block_hash
            if number is None or known is None:
                continue  # journaled before block hashes were kept
            on_chain = self._block_hash(number)
            if on_chain != known.lower():
                reason = f"reorg: block {number} is now {on_chain or 'gone'}, was {known}"
                self._journal.reopen_tx(tx.intent.tx_key, reason=reason)
                out.append(tx.intent.tx_key)
        self._reorg_checked_at = None if out else head
        return out

    def _block_hash(self, number: int) -> str | None:
        def read(w3: Web3) -> str | None:
            try:
                block = w3.eth.get_block(number)
            except BlockNotFound:
                return None
            return str(Web3.to_hex(block["hash"])).lower()

        return self._reader.rpc.call(f"block {number}", read)

    def spent_today_usd(self, now: datetime) -> Decimal:
        """Repaid or supplied since UTC midnight, from the journal so a restart keeps the
        daily cap (reserve stablecoins count 1 USD each)."""
        midnight = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
        mined = self._journal.txs_since(midnight, status=TxStatus.MINED)
        return sum(
            (t.intent.amount or Decimal(0) for t in mined if t.intent.kind in SPENDING_KINDS),
            Decimal(0),
        )


__all__ = ["GuardReads", "ReserveWallet"]

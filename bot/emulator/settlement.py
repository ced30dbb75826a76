"""Settling the wallet on the linked chain, on a background thread (never on a request):

- deposits: ``Transfer`` logs of the linked tokens to any account's deposit address are
  recorded (status 0, ``confirmTimes`` "k/minConfirm") and credited to spot once ``minConfirm``
  blocks are on top (status 1; 6 while ``unLockConfirm`` is still ahead). A pending deposit whose
  block left the chain (a reorg, ``evm_revert``) is dropped; a credited one stays, as it would
  on an exchange. A transfer is known by (tx hash, log index): re-mined, it is not paid twice.
- withdrawals at status 4 whose due time (apply + delay, market clock: ``advance_time`` counts)
  has come: the hot wallet signs ``transfer(address, amount - fee)``; the signed transaction is
  stored before it is broadcast, so a restart rebroadcasts the same one instead of paying again;
  the receipt completes it (status 6, ``txId``, ``completeTime``). When the hot wallet cannot
  pay, the withdrawal stays at 4 with the reason in ``info`` and is retried after the delay.

Chain calls run without the engine lock; results are applied under it, and dropped when the
state was reset (``generation``) or the link stopped meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from bot.emulator import fills, wallet
from bot.emulator.chain_link import ChainClient, TransferLog
from bot.emulator.coins import CoinNetwork, Key
from bot.emulator.state import Account
from bot.emulator.wallet_state import (
    DEPOSIT_PENDING,
    DEPOSIT_SUCCESS,
    PROCESSING,
    ChainCursor,
    Deposit,
    Withdrawal,
)
from bot.redact import scrub

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange

log = logging.getLogger("bot.emulator.chain")
REORG_DEPTH = 64  # blocks read again when the chain is found to have gone back
LOCK_POLL_SECS = 0.05


class _Stopped(Exception):
    """The link stopped while this thread waited for the engine lock."""


@dataclass(frozen=True, kw_only=True)
class _Job:
    """A withdrawal to act on, copied out of the state so chain calls run without the lock."""

    id: str
    to: str
    net: CoinNetwork
    raw_amount: int
    tx_id: str
    raw_tx: str
    nonce: int | None


class Settlement:
    def __init__(
        self, ex: Exchange, client: ChainClient, coins: frozenset[Key], poll_secs: float
    ) -> None:
        self.ex = ex
        self.client = client
        self.coins = coins
        self.poll_secs = poll_secs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-chain", daemon=True)
        self._warned: set[str] = set()

    # lifecycle -----------------------------------------------------------------------------
    @property
    def client_timeout(self) -> float:
        return self.client.timeout_secs

    def describe(self) -> dict[str, Any]:
        return {
            **self.client.describe(),
            "coins": [f"{coin}/{network}" for coin, network in sorted(self.coins)],
            "poll_interval_secs": self.poll_secs,
            "running": self._thread.is_alive(),
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def init_cursor(self) -> None:
        """Start the deposit scan at the head (caller holds the engine lock): transfers made
        before the link are not deposits."""
        number, block_hash = self.client.head()
        self.ex.state.chain_cursor = ChainCursor(
            chain_id=self.client.chain_id, block=number, block_hash=block_hash
        )

    def adopt_cursor(self) -> None:
        """Resume a saved scan on the same chain (deposits made while the emulator was down
        are found); anything else starts at the head."""
        cursor = self.ex.state.chain_cursor
        if (
            cursor is not None
            and cursor.chain_id == self.client.chain_id
            and self.client.block_hash(cursor.block) == cursor.block_hash
        ):
            return
        self.init_cursor()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except _Stopped:
                return
            except Exception as exc:  # the node went away, a timeout: try again next poll
                self._warn_once(
                    f"poll:{type(exc).__name__}", f"chain poll failed: {self._say(exc)}"
                )
            self._stop.wait(self.poll_secs)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        while not self.ex.lock.acquire(timeout=LOCK_POLL_SECS):
            if self._stop.is_set():  # unlink holds the lock while it waits for this thread
                raise _Stopped
        try:
            if self._stop.is_set():
                raise _Stopped
            yield
        finally:
            self.ex.lock.release()

    def _say(self, exc: BaseException) -> str:
        """An error's text without the RPC URL's credentials (requests quotes the URL)."""
        return scrub(f"{type(exc).__name__}: {exc}", [self.client.rpc_url])

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

    def poll_once(self) -> None:
        self.scan_deposits()
        self.settle_withdrawals()

    # deposits ------------------------------------------------------------------------------
    def scan_deposits(self) -> None:
        with self._locked():
            generation = self.ex.generation
            cursor = self.ex.state.chain_cursor
            tokens = {
                net.contract_address.lower(): net
                for key, net in self.ex.wallet.coins.items()
                if key in self.coins
            }
            addresses = {wallet.deposit_address(k): k for k in self.ex.state.accounts}
            open_blocks = {
                d.block_number for a in self.ex.state.accounts.values() for d in _open(a)
            }
        head, head_hash = self.client.head()
        if cursor is None or cursor.chain_id != self.client.chain_id:
            with self._locked():
                if self.ex.generation == generation:
                    self.init_cursor()
            return
        first = cursor.block + 1
        if head < cursor.block or self.client.block_hash(cursor.block) != cursor.block_hash:
            first = max(0, min(head, cursor.block) - REORG_DEPTH + 1)
        logs = self.client.transfer_logs(list(tokens), list(addresses), first, head)
        hashes = {n: self.client.block_hash(n) for n in open_blocks}
        with self._locked():
            if self.ex.generation != generation:
                return
            now = self.ex.market_ms()
            before = _fingerprint(self.ex.state.accounts.values())
            for entry in logs:
                self._record(entry, tokens, addresses, now)
            for account in self.ex.state.accounts.values():
                self._confirm(account, head, hashes, now)
            self.ex.state.chain_cursor = ChainCursor(
                chain_id=self.client.chain_id, block=head, block_hash=head_hash
            )
            # The cursor alone is not worth a write per poll: a restart from an older one
            # reads a few blocks again, and known transfers are not recorded twice.
            if _fingerprint(self.ex.state.accounts.values()) != before:
                self.ex.save()

    def _record(
        self,
        entry: TransferLog,
        tokens: dict[str, CoinNetwork],
        addresses: dict[str, str],
        now: int,
    ) -> None:
        net, key = tokens.get(entry.token), addresses.get(entry.to)
        account = self.ex.state.accounts.get(key) if key is not None else None
        if net is None or account is None:
            return
        seen = {(d.tx_id, d.log_index) for d in account.deposits}
        if (entry.tx_hash, entry.log_index) in seen:
            return
        amount = wallet.spot_amount(Decimal(entry.raw_amount).scaleb(-net.decimals))
        if not net.deposit_enable or amount < net.deposit_dust:
            self._warn_once(
                entry.tx_hash,
                f"deposit {entry.tx_hash} of {amount} {net.coin} not credited "
                f"({'deposits are off' if not net.deposit_enable else 'below depositDust'})",
            )
            return
        account.deposits.append(
            Deposit(
                id=str(fills.next_id(self.ex.state)),
                coin=net.coin,
                network=net.network,
                address=entry.to,
                amount=amount,
                tx_id=entry.tx_hash,
                log_index=entry.log_index,
                block_number=entry.block_number,
                block_hash=entry.block_hash,
                min_confirm=net.min_confirm,
                unlock_confirm=net.unlock_confirm,
                insert_time=now,
            )
        )
        log.info("deposit %s: %s %s to %s", entry.tx_hash, amount, net.coin, entry.to)

    def _confirm(
        self, account: Account, head: int, hashes: dict[int, str | None], now: int
    ) -> None:
        for deposit in list(_open(account)):
            known = hashes.get(deposit.block_number, deposit.block_hash)
            if known != deposit.block_hash:
                if deposit.credited:
                    continue  # credited is final, as on an exchange
                account.deposits.remove(deposit)
                log.info("deposit %s left the chain before it was credited", deposit.tx_id)
                continue
            wallet.update_deposit(account, deposit, head - deposit.block_number + 1, now)

    # withdrawals ---------------------------------------------------------------------------
    def settle_withdrawals(self) -> None:
        with self._locked():
            generation = self.ex.generation
            now = self.ex.market_ms()
            jobs = [
                self._job(w)
                for a in self.ex.state.accounts.values()
                for w in a.withdrawals
                if w.status == PROCESSING
                and (w.coin, w.network) in self.coins
                and (w.broadcast or w.due_ms <= now)
            ]
        for job in jobs:
            if job.tx_id:
                self._follow(job, generation)
            else:
                self._send(job, generation)

    def _job(self, w: Withdrawal) -> _Job:
        net = self.ex.wallet.coins[(w.coin, w.network)]
        # Exact for amounts the checks let through; a coin relinked with fewer decimals since
        # the apply would otherwise pay a fraction the token cannot hold.
        raw = w.net.scaleb(net.decimals).to_integral_value(rounding=ROUND_DOWN)
        return _Job(
            id=w.id,
            to=w.address,
            net=net,
            raw_amount=int(raw),
            tx_id=w.tx_id,
            raw_tx=w.raw_tx,
            nonce=w.nonce,
        )

    def _current(self, job: _Job, generation: int) -> Withdrawal | None:
        """The withdrawal, if it is still the one the job was made from (caller has the lock)."""
        if self.ex.generation != generation:
            return None
        try:
            _, withdrawal = wallet.find_withdrawal(self.ex.state, job.id)
        except ValueError:
            return None
        return withdrawal if withdrawal.status == PROCESSING else None

    def _send(self, job: _Job, generation: int) -> None:
        try:
            signed = self.client.sign_transfer(job.net.contract_address, job.to, job.raw_amount)
        except Exception as exc:  # would revert (hot wallet short of tokens or gas) or RPC down
            self._retry_later(job, generation, f"hot wallet cannot pay: {self._say(exc)}")
            return
        with self._locked():
            withdrawal = self._current(job, generation)
            if withdrawal is None or withdrawal.broadcast:
                return  # held, rejected or reset meanwhile: nothing was sent
            withdrawal.tx_id, withdrawal.raw_tx = signed.tx_hash, signed.raw_tx
            withdrawal.nonce, withdrawal.info = signed.nonce, ""
            self.ex.save()  # before the broadcast: a restart sends this one, not a new one
        log.info("withdrawal %s: %s sent %s", job.id, self.client.hot_wallet, signed.tx_hash)
        self.client.broadcast(signed.raw_tx)
        sent = replace(job, tx_id=signed.tx_hash, raw_tx=signed.raw_tx, nonce=signed.nonce)
        self._follow(sent, generation)

    def _follow(self, job: _Job, generation: int) -> None:
        receipt = self.client.receipt(job.tx_id)
        if receipt is None:
            if self.client.is_pending(job.tx_id):
                return
            if job.nonce is not None and self.client.nonce_used(job.nonce):
                self._retry_later(job, generation, "transfer dropped; it will be sent again")
            else:
                self.client.broadcast(job.raw_tx)  # lost (node restarted): the same bytes again
            return
        head, _ = self.client.head()
        with self._locked():
            withdrawal = self._current(job, generation)
            if withdrawal is None or withdrawal.tx_id != job.tx_id:
                return
            if receipt.ok:
                wallet.complete(withdrawal, self.ex.market_ms(), head - receipt.block_number + 1)
                log.info("withdrawal %s completed in %s", job.id, job.tx_id)
            else:
                self._unsend(withdrawal, "transfer reverted on chain")
            self.ex.save()

    def _retry_later(self, job: _Job, generation: int, reason: str) -> None:
        self._warn_once(f"{job.id}:{reason[:40]}", f"withdrawal {job.id} waits: {reason}")
        with self._locked():
            withdrawal = self._current(job, generation)
            if withdrawal is not None:
                self._unsend(withdrawal, reason)
                self.ex.save()

    def _unsend(self, withdrawal: Withdrawal, reason: str) -> None:
        withdrawal.tx_id, withdrawal.raw_tx, withdrawal.nonce = "", "", None
        withdrawal.info = reason
        delay = int(self.ex.wallet.withdraw_delay_secs * 1000)
        withdrawal.due_ms = self.ex.market_ms() + max(delay, int(self.poll_secs * 1000))


def _fingerprint(accounts: Iterable[Account]) -> list[tuple[str, int, int]]:
    return [(d.id, d.status, d.confirmations) for a in accounts for d in a.deposits]


def _open(account: Account) -> Iterator[Deposit]:
    """Deposits still counting confirmations (pending, or credited and not yet unlocked)."""
    for deposit in account.deposits:
        if deposit.status == DEPOSIT_PENDING or (
            deposit.credited and deposit.status != DEPOSIT_SUCCESS
        ):
            yield deposit

"""``Treasury`` on Binance's wallet API (SAPI) through python-binance 1.0.37.

Reads go through ``Transport.call`` (retried); the calls that move money (universal transfer,
withdraw) are sent once through ``Transport.call_once``: a lost answer becomes
``UnknownTransferState`` and the caller settles it by a lookup (a withdrawal by its
``withdrawOrderId``, a transfer by the transfer history), never by sending it again.
python-binance's ``get_withdraw_history_id`` scans an unfiltered page and raises a bare
``Exception``: the history is filtered by ``withdrawOrderId`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bot.core.model import Venue
from bot.exchange.binance.schemas import wallet as wire
from bot.exchange.binance.transport import Transport
from bot.exchange.errors import ExchangeError, TransientExchangeError, UnknownTransferState
from bot.exchange.treasury import (
    CoinNetwork,
    Deposit,
    InternalTransfer,
    TransferDirection,
    Withdrawal,
)

# Binance keeps coin networks for hours; the fees and minimums are read at most this often.
COIN_CONFIG_MAX_AGE_SECS = 600.0
# A withdrawOrderId lookup must stay inside a 7-day window (from the move's start).
WITHDRAW_LOOKUP_WINDOW_MS = 7 * 24 * 3600 * 1000 - 60_000


def amount_text(amount: Decimal) -> str:
    """A decimal Binance accepts: plain notation, no exponent, no trailing zeros."""
    if amount <= 0:
        raise ValueError(f"amount must be > 0, got {amount}")
    text = format(amount.normalize(), "f")
    return text


class BinanceTreasury:
    def __init__(self, transport: Transport, *, monotonic: Callable[[], float]) -> None:
        self._transport = transport
        self._monotonic = monotonic
        self._coins: tuple[float, list[Any]] | None = None

    @property
    def can_move(self) -> bool:
        return True

    def why_not(self) -> str:
        return ""

    def coin_network(self, coin: str, network: str) -> CoinNetwork:
        now = self._monotonic()
        if self._coins is None or now - self._coins[0] > COIN_CONFIG_MAX_AGE_SECS:
            self._coins = (now, list(self._transport.call("get_all_coins_info")))
        return wire.coin_network(self._coins[1], coin, network)

    def futures_movable(self, asset: str, venue: Venue) -> Decimal:
        method = "futures_account" if venue is Venue.USDM else "futures_coin_account"
        account = self._transport.call(method)
        return wire.max_withdraw(list(account.get("assets") or ()), asset)

    def spot_free(self, asset: str) -> Decimal:
        account = self._transport.call("get_account", omitZeroBalances="true")
        return wire.spot_free(list(account.get("balances") or ()), asset)

    def transfer(
        self, direction: TransferDirection, asset: str, amount: Decimal, venue: Venue
    ) -> str:
        kind = wire.TRANSFER_TYPES[(direction, venue)]
        params = {"type": kind, "asset": asset, "amount": amount_text(amount)}
        answer = self._move(f"{kind} {amount} {asset}", "universal_transfer", **params)
        return str(answer["tranId"])

    def transfers_since(
        self, direction: TransferDirection, venue: Venue, since_ms: int
    ) -> list[InternalTransfer]:
        kind = wire.TRANSFER_TYPES[(direction, venue)]
        found = self._transport.call(
            "query_universal_transfer_history", type=kind, startTime=since_ms, size=100
        )
        return [wire.internal_transfer(r, direction, venue) for r in found.get("rows") or ()]

    def withdraw(
        self, *, client_id: str, coin: str, network: str, address: str, amount: Decimal
    ) -> str:
        answer = self._move(
            client_id,
            "withdraw",
            coin=coin,
            network=network,
            address=address,
            amount=amount_text(amount),
            withdrawOrderId=client_id,
        )
        return str(answer["id"])

    def withdrawal(self, client_id: str, since_ms: int) -> Withdrawal | None:
        """Looked up in the window that starts at ``since_ms``: Binance refuses a
        ``withdrawOrderId`` lookup wider than 7 days (-4047), and a window ending "now" would
        lose a withdrawal asked more than 7 days ago (one held for approval that long)."""
        found = self._transport.call(
            "get_withdraw_history",
            withdrawOrderId=client_id,
            startTime=since_ms,
            endTime=since_ms + WITHDRAW_LOOKUP_WINDOW_MS,
        )
        matches = [wire.withdrawal(r) for r in found if r.get("withdrawOrderId") == client_id]
        if len(matches) > 1:
            ids = ", ".join(m.venue_id for m in matches)
            raise ExchangeError(f"two withdrawals carry the client id {client_id}: {ids}")
        return matches[0] if matches else None

    def deposit_address(self, coin: str, network: str) -> str:
        answer = self._transport.call("get_deposit_address", coin=coin, network=network)
        return str(answer["address"])

    def deposits_since(self, coin: str, since_ms: int) -> list[Deposit]:
        found = self._transport.call("get_deposit_history", coin=coin, startTime=since_ms)
        return [wire.deposit(r) for r in found]

    def _move(self, client_id: str, method: str, **params: Any) -> Any:
        try:
            return self._transport.call_once(method, **params)
        except TransientExchangeError as exc:
            raise UnknownTransferState(
                f"{method} {client_id}: no answer ({exc}); look it up before moving again",
                client_id=client_id,
                code=exc.code,
            ) from exc


__all__ = ["BinanceTreasury", "amount_text"]

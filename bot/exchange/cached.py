"""An ``Exchange`` that re-reads the account (positions, balances) only every
``refresh_secs`` or right after it changed it.

Nobody but hedgebot trades a hedge account, so between its own orders the account changes only
through funding, fees and (rarely) a liquidation: reading positionRisk, symbolConfig and
balance (weight 15) every second would spend half of Binance's 2,400-per-minute budget on
answers already known. Marks are never cached: they drive every decision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal

from bot.core.model import (
    ContractSpec,
    HedgePosition,
    MarginBalance,
    OrderFee,
    OrderIntent,
    OrderReport,
)
from bot.exchange.base import AccountSetup, Exchange


class AccountCache:
    def __init__(
        self,
        inner: Exchange,
        *,
        refresh_secs: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._refresh_secs = refresh_secs
        self._clock = clock
        self._specs: Mapping[str, ContractSpec] | None = None
        self._positions: tuple[float, list[HedgePosition]] | None = None
        self._balances: tuple[float, list[MarginBalance]] | None = None

    @property
    def is_paper(self) -> bool:
        return self.inner.is_paper

    @property
    def used_weight_1m(self) -> int | None:
        return self.inner.used_weight_1m

    def invalidate(self) -> None:
        self._positions = None
        self._balances = None

    def _fresh(self, entry: tuple[float, object] | None) -> bool:
        return entry is not None and self._clock() - entry[0] < self._refresh_secs

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        if self._specs is None:
            self._specs = self.inner.contract_specs()
        return self._specs

    def mark_price(self, symbol: str) -> Decimal:
        return self.inner.mark_price(symbol)

    def positions(self) -> list[HedgePosition]:
        if self._positions is None or not self._fresh(self._positions):
            self._positions = (self._clock(), self.inner.positions())
        return list(self._positions[1])

    def balances(self) -> list[MarginBalance]:
        if self._balances is None or not self._fresh(self._balances):
            self._balances = (self._clock(), self.inner.balances())
        return list(self._balances[1])

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        # Invalidate first: an exception (unknown outcome) may still have changed the account.
        self.invalidate()
        return self.inner.place(intent, first_send=first_send)

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        report = self.inner.order(symbol, client_order_id)
        if report.executed_quantity > 0:
            self.invalidate()  # a reconciled fill: the account is not what the cache holds
        return report

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        self.invalidate()
        return self.inner.cancel(symbol, client_order_id)

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        return self.inner.order_fees(symbol, exchange_order_ids, since_ms=since_ms)

    def setup(self, setup: AccountSetup) -> list[str]:
        self.invalidate()
        return self.inner.setup(setup)

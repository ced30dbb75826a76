"""A REST ``Exchange`` that counts its reads and a socket manager the test drives by hand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from typing import Any

from bot.core.model import (
    ContractSpec,
    HedgePosition,
    MarginBalance,
    MarginType,
    OrderFee,
    OrderIntent,
    OrderReport,
    Venue,
)
from bot.exchange.base import AccountSetup
from tests.exchange.specs import SPECS

Callback = Callable[[Any], None]


def position(symbol: str, quantity: str, *, liquidation: str | None = "900") -> HedgePosition:
    return HedgePosition(
        symbol=symbol, quantity=Decimal(quantity), entry_price=Decimal(600),
        mark_price=Decimal(600), unrealized_pnl=Decimal(0), leverage=5,
        margin_type=MarginType.CROSS,
        liquidation_price=None if liquidation is None else Decimal(liquidation),
    )  # fmt: skip


def usdt(wallet: str) -> MarginBalance:
    return MarginBalance(
        asset="USDT", wallet_balance=Decimal(wallet), available_balance=Decimal(wallet),
        usd_value=Decimal(wallet), venue=Venue.USDM,
    )  # fmt: skip


class RestExchange:
    """What REST says; every read counted."""

    def __init__(self, specs: Mapping[str, ContractSpec] = SPECS) -> None:
        self.specs = dict(specs)
        self.marks = {s: Decimal(600) for s in specs}
        self.held: list[HedgePosition] = []
        self.wallets: list[MarginBalance] = [usdt("1000")]
        self.mark_reads = 0
        self.position_reads = 0
        self.balance_reads = 0

    is_paper = False
    used_weight_1m = None

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        return self.specs

    def mark_price(self, symbol: str) -> Decimal:
        self.mark_reads += 1
        return self.marks[symbol]

    def positions(self) -> list[HedgePosition]:
        self.position_reads += 1
        return list(self.held)

    def balances(self) -> list[MarginBalance]:
        self.balance_reads += 1
        return list(self.wallets)

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        raise NotImplementedError

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        raise NotImplementedError

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        raise NotImplementedError

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        return {}

    def setup(self, setup: AccountSetup) -> list[str]:
        return []


class HandManager:
    """Stands in for the TWM: records the callbacks; the test says when sockets stream."""

    def __init__(self) -> None:
        self.mark_callbacks: dict[str, Callback] = {}
        self.user_callbacks: dict[str, Callback] = {}
        self.streaming = True
        self.started = threading.Event()
        self.stopped = threading.Event()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped.set()

    def join(self, timeout: float | None = None) -> None:
        pass

    def start_futures_multiplex_socket(
        self, callback: Callback, streams: list[str], futures_type: Any
    ) -> str:
        key = "/".join(streams)
        self.mark_callbacks[key] = callback
        return key

    def start_futures_user_socket(self, callback: Callback) -> str:
        self.user_callbacks["usdm"] = callback
        self.started.set()
        return "futures"

    def start_coin_futures_user_socket(self, callback: Callback) -> str:
        self.user_callbacks["coinm"] = callback
        self.started.set()
        return "coin_futures"

    def connection_states(self) -> dict[str, str]:
        state = "Streaming" if self.streaming else "Reconnecting"
        names = {"usdm": "Account_futures", "coinm": "Account_coin_futures"}
        return {names[v]: state for v in self.user_callbacks}

    def mark(self, raw: Any) -> None:
        for callback in self.mark_callbacks.values():
            callback(raw)

    def user(self, raw: Any, venue: str = "usdm") -> None:
        self.user_callbacks[venue](raw)


class Managers:
    """A factory handing out a new ``HandManager`` per (re)start, keeping them all."""

    def __init__(self) -> None:
        self.made: list[HandManager] = []
        self.changed = threading.Condition()

    def __call__(self) -> HandManager:
        manager = HandManager()
        with self.changed:
            self.made.append(manager)
            self.changed.notify_all()
        return manager

    def wait_for(self, count: int, timeout: float = 10.0) -> HandManager:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.made) >= count, timeout)
            manager = self.made[count - 1]
        assert manager.started.wait(timeout)
        return manager

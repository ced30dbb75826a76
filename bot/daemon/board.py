"""What the hedger learned from the exchange, posted for the guard and the capital loop to use
if it is fresh.

Neither asks the exchange for it: they read this board, and a view older than their limit (an
exchange outage, a paused hedger) is as good as none.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.model import ContractSpec, HedgePosition, MarginBalance


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketNote:
    at: datetime
    marks: Mapping[str, Decimal] = field(default_factory=dict)  # by underlying
    hedge_profit_usd: Decimal = Decimal(0)  # unrealised, all hedges of the account
    symbol_marks: Mapping[str, Decimal] = field(default_factory=dict)  # by futures symbol
    specs: Mapping[str, ContractSpec] = field(default_factory=dict)
    hedges: tuple[HedgePosition, ...] = ()
    balances: tuple[MarginBalance, ...] = ()


class MarketBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._note: MarketNote | None = None

    def post(self, note: MarketNote) -> None:
        with self._lock:
            self._note = note

    def fresh(self, now: datetime, *, max_age_secs: float) -> MarketNote | None:
        with self._lock:
            note = self._note
        if note is None or (now - note.at).total_seconds() > max_age_secs:
            return None
        return note


__all__ = ["MarketBoard", "MarketNote"]

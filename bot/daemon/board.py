"""What the hedger learned from the exchange, posted for the guard and the capital loop to use
if it is fresh.

Neither asks the exchange for it: they read this board, and a view older than their limit (an
exchange outage, a paused hedger) is as good as none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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
    # The latest fresh-account request this note's positions and balances were read after
    # (straight from the venue, not the hedger's account cache); None: no request yet.
    account_fresh_for: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RealiseRequest:
    """The capital loop asks the hedger to realise this much short profit (the venue lets
    only realised profit leave); the hedger takes it once."""

    usd: Decimal
    at: datetime


class MarketBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._note: MarketNote | None = None
        self._realise: RealiseRequest | None = None
        self._refresh: datetime | None = None
        self._after_post: tuple[datetime, Callable[[], None]] | None = None

    def ask_fresh_account(self, at: datetime) -> None:
        """Ask the hedger to read positions and balances from the venue, bypassing its cache
        (money moved: a cached view would move it again)."""
        with self._lock:
            self._refresh = at if self._refresh is None else max(self._refresh, at)

    def take_fresh_account_request(self) -> datetime | None:
        with self._lock:
            request, self._refresh = self._refresh, None
        return request

    def ask_realise(self, request: RealiseRequest) -> None:
        with self._lock:
            self._realise = request

    def take_realise(self, now: datetime, *, max_age_secs: float) -> Decimal:
        """The request's amount (0 when none, or when older than ``max_age_secs``: sized on
        balances that have moved since); it is cleared either way."""
        with self._lock:
            request, self._realise = self._realise, None
        if request is None or (now - request.at).total_seconds() > max_age_secs:
            return Decimal(0)
        return request.usd

    def realise_pending(self) -> bool:
        with self._lock:
            return self._realise is not None

    def post(self, note: MarketNote) -> None:
        with self._lock:
            self._note = note
            due, waiting = None, self._after_post
            if waiting is not None and note.at >= waiting[0]:
                due, self._after_post = waiting[1], None
        if due is not None:
            due()

    def when_posted_since(self, at: datetime, callback: Callable[[], None]) -> None:
        """Call ``callback`` once, on the poster's thread, when a note read at or after ``at``
        is posted (a tick already running when asked posts an older one). One waits at a
        time: a later request replaces an earlier one (the note that answers it answers both),
        so requests while the hedger posts nothing (paused, a follower) do not pile up."""
        with self._lock:
            self._after_post = (at, callback)

    def fresh(self, now: datetime, *, max_age_secs: float) -> MarketNote | None:
        with self._lock:
            note = self._note
        if note is None or (now - note.at).total_seconds() > max_age_secs:
            return None
        return note


__all__ = ["MarketBoard", "MarketNote", "RealiseRequest"]

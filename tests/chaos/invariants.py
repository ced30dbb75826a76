"""What must hold however the chaos run goes, checked from the outside: the emulator's order
book and positions, the journal the daemon writes, and the chain's block timestamps.

- one order per intent: every client order id has at most one order on the exchange, and every
  exchange order has a journaled intent (the journal records the intent before sending);
- caps: an order that grows a position leaves the symbol within ``max_notional_per_symbol_usd``
  and all symbols within ``max_total_notional_usd``, plus one quantity step per symbol, valued
  at the marks in effect between the start of the cycle that sent it and its fill;
- no trade on stale data: no intent belongs to a cycle the journal skipped as stale; every
  intent of a finished cycle was planned on a block at most ``max_block_age_secs`` old at the
  cycle's start (the reader's own test, re-done from the chain); a cycle cut short by a kill
  (no block recorded) sent nothing if it started inside a window the test made stale, at
  least 2 s before mining resumed (later, it may have read the new block).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.journal import CycleOutcome, CycleRecord, Journal, OrderRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Caps:
    per_symbol_usd: Decimal
    total_usd: Decimal
    steps: Mapping[str, Decimal]  # symbol -> quantity step


@dataclass(slots=True)
class StaleWindow:
    """Mining stopped after block ``last_block`` (timestamp ``last_block_ts``); a cycle that
    starts at or after ``last_block_ts + max_age + 1`` (the reader's integer-second test) and
    before ``resumed_at`` (when the next block was mined) sees a block that is too old."""

    last_block: int
    last_block_ts: int
    max_age: int
    resumed_at: float | None = None

    @property
    def stale_from(self) -> float:
        return float(self.last_block_ts + self.max_age + 1)

    def contains(self, t: float) -> bool:
        end = self.resumed_at if self.resumed_at is not None else float("inf")
        return self.stale_from <= t < end


@dataclass
class MarkTimeline:
    """Every mark the test set, with the wall time the emulator may have started using it."""

    points: dict[str, list[tuple[float, Decimal]]] = field(default_factory=dict)

    def set(self, symbol: str, t: float, price: Decimal) -> None:
        self.points.setdefault(symbol, []).append((t, price))

    def in_effect(self, symbol: str, start: float, end: float) -> list[Decimal]:
        """Marks in effect at some instant of [start, end] (a margin covers the call's flight)."""
        points = self.points.get(symbol, [])
        out: list[Decimal] = []
        before = [p for t, p in points if t <= start - 0.2]
        if before:
            out.append(before[-1])
        out += [p for t, p in points if start - 0.2 < t <= end + 0.05]
        return out or [p for _, p in points[:1]]


def emulator_orders(snapshot: Mapping[str, Any], api_key: str) -> list[dict[str, Any]]:
    orders = snapshot["accounts"][api_key]["usdm"]["orders"].values()
    return sorted(orders, key=lambda o: int(o["order_id"]))


def emulator_positions(snapshot: Mapping[str, Any], api_key: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for position in snapshot["accounts"][api_key]["usdm"]["positions"].values():
        out[position["symbol"]] += Decimal(position["amt"])
    return dict(out)


class InvariantChecker:
    def __init__(
        self,
        *,
        journal: Journal,
        position: str,
        api_key: str,
        caps: Caps,
        max_block_age_secs: int,
        marks: MarkTimeline,
        block_timestamp: Callable[[int], int],
    ) -> None:
        self.journal = journal
        self.position = position
        self.api_key = api_key
        self.caps = caps
        self.max_age = max_block_age_secs
        self.marks = marks
        self.block_timestamp = block_timestamp
        self.stale_windows: list[StaleWindow] = []
        self.violations: list[str] = []
        self.checks = 0
        self._checked_orders: set[int] = set()
        self._checked_cycles: set[str] = set()
        self._cycles: dict[str, CycleRecord] = {}

    @property
    def cycles_checked(self) -> int:
        return len(self._checked_cycles)

    def _violate(self, message: str) -> None:
        if message not in self.violations:
            self.violations.append(message)

    def _cycle(self, cycle_id: str) -> CycleRecord | None:
        cached = self._cycles.get(cycle_id)
        if cached is not None and cached.finished_at is not None:
            return cached
        record = self.journal.cycle(cycle_id)
        if record is not None:
            self._cycles[cycle_id] = record
        return record

    def check(self, snapshot: Mapping[str, Any], *, cycles_limit: int = 60) -> None:
        """Check every order and cycle not checked yet (the exchange is read first, so every
        order it shows has already been journaled)."""
        self.checks += 1
        orders = emulator_orders(snapshot, self.api_key)
        records = {r.journaled.intent.client_order_id: r for r in self.journal.orders_since(0)}
        cycles = self.journal.recent_cycles(self.position, limit=cycles_limit)
        self._one_order_per_intent(orders, records)
        self._caps(orders, records)
        self._stale(cycles, records)

    def _one_order_per_intent(
        self, orders: Sequence[dict[str, Any]], records: Mapping[str, OrderRecord]
    ) -> None:
        by_id: dict[str, list[int]] = defaultdict(list)
        for order in orders:
            by_id[order["client_order_id"]].append(int(order["order_id"]))
        for client_id, ids in by_id.items():
            if len(ids) > 1:
                self._violate(f"duplicate orders {ids} for one intent {client_id}")
            if client_id not in records:
                self._violate(f"exchange order {ids} ({client_id}) has no journaled intent")

    def _caps(self, orders: Sequence[dict[str, Any]], records: Mapping[str, OrderRecord]) -> None:
        """Replay the exchange's fills in order; check after every fill that grows a position
        (a price move alone, or a position held inside the band, is not an order breaking a
        cap: the daemon can only be held to what its orders do)."""
        held: dict[str, Decimal] = defaultdict(Decimal)
        for order in orders:
            symbol = order["symbol"]
            executed = Decimal(order["executed_qty"])
            signed = executed if order["side"] == "BUY" else -executed
            before = held[symbol]
            held[symbol] = before + signed
            order_id = int(order["order_id"])
            if order_id in self._checked_orders:
                continue
            self._checked_orders.add(order_id)
            if not executed or abs(held[symbol]) <= abs(before):
                continue
            cycle_id = self._cycle_of(order, records)
            cycle = self._cycle(cycle_id) if cycle_id else None
            start = cycle.started_at.timestamp() if cycle else int(order["time"]) / 1000 - 5
            filled_at = int(order["time"]) / 1000
            fill = Decimal(order["avg_price"])
            symbol_usd, symbol_step, mark = self._valued(
                symbol, held[symbol], start, filled_at, fill
            )
            if symbol_usd > self.caps.per_symbol_usd + symbol_step:
                self._violate(
                    f"[per symbol] order {order_id} ({order['client_order_id']}) grew "
                    f"{symbol} to {held[symbol]} = ${symbol_usd:,.2f} at mark {mark}, above "
                    f"max_notional_per_symbol_usd {self.caps.per_symbol_usd} + one step"
                )
            total = steps = Decimal(0)
            for sym, quantity in held.items():
                if quantity:
                    usd, step, _ = self._valued(
                        sym, quantity, start, filled_at, fill if sym == symbol else None
                    )
                    total += usd
                    steps += step
            if total > self.caps.total_usd + steps:
                self._violate(
                    f"[total] order {order_id} ({order['client_order_id']}, {order['side']} "
                    f"{order['executed_qty']} {symbol}) grew the total short to ${total:,.2f}, "
                    f"above max_total_notional_usd {self.caps.total_usd} + one step per symbol "
                    f"(${steps:,.2f}); positions { ({k: str(v) for k, v in held.items()}) }; "
                    + self._reductions_of(order, orders, records)
                )

    @staticmethod
    def _cycle_of(order: Mapping[str, Any], records: Mapping[str, OrderRecord]) -> str | None:
        record = records.get(order["client_order_id"])
        return record.journaled.cycle_id if record else None

    def _valued(
        self, sym: str, quantity: Decimal, start: float, end: float, fill: Decimal | None
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(notional, one step in USD, mark) at the lowest mark in effect during the cycle."""
        marks = self.marks.in_effect(sym, start, end)
        if fill is not None:
            marks.append(fill)
        mark = min(marks)
        return abs(quantity) * mark, self.caps.steps[sym] * mark, mark

    def _reductions_of(
        self,
        order: Mapping[str, Any],
        orders: Sequence[dict[str, Any]],
        records: Mapping[str, OrderRecord],
    ) -> str:
        """What the same cycle did to reduce: sent before the growing order, after, or never."""
        cycle_id = self._cycle_of(order, records)
        exchange_ids = {o["client_order_id"]: int(o["order_id"]) for o in orders}
        parts = []
        for client_id, record in records.items():
            intent = record.journaled.intent
            if record.journaled.cycle_id != cycle_id or not intent.reduce_only:
                continue
            sent = exchange_ids.get(client_id)
            when = (
                "never reached the exchange"
                if sent is None
                else ("sent AFTER it" if sent > int(order["order_id"]) else "sent before it")
            )
            parts.append(f"reduce {intent.side.value} {intent.quantity} {intent.symbol} {when}")
        cycle = self._cycle(cycle_id) if cycle_id else None
        state = "unfinished (killed)" if cycle and cycle.finished_at is None else "finished"
        return f"cycle {cycle_id} ({state}): " + ("; ".join(parts) or "no reduce-only order")

    def _stale(self, cycles: Sequence[CycleRecord], records: Mapping[str, OrderRecord]) -> None:
        by_cycle: dict[str, list[str]] = defaultdict(list)
        for client_id, record in records.items():
            if record.journaled.cycle_id:
                by_cycle[record.journaled.cycle_id].append(client_id)
        for cycle in cycles:
            if cycle.finished_at is None or cycle.cycle_id in self._checked_cycles:
                continue
            self._checked_cycles.add(cycle.cycle_id)
            self._cycles[cycle.cycle_id] = cycle
            sent = by_cycle.get(cycle.cycle_id, [])
            skipped_stale = cycle.outcome is CycleOutcome.SKIPPED and (
                cycle.error or ""
            ).startswith("stale chain data")
            if skipped_stale and sent:
                self._violate(f"cycle {cycle.cycle_id} was skipped as stale but sent {sent}")
            if sent and cycle.summary.block_number is not None:
                age = int(cycle.started_at.timestamp()) - self.block_timestamp(
                    cycle.summary.block_number
                )
                if age > self.max_age:
                    self._violate(
                        f"cycle {cycle.cycle_id} sent {sent} on block "
                        f"{cycle.summary.block_number}, {age}s old at the cycle's start "
                        f"(max_block_age_secs {self.max_age})"
                    )
        for client_id, record in records.items():
            cycle_id = record.journaled.cycle_id
            owner = self._cycle(cycle_id) if cycle_id else None
            if owner is None:
                continue
            if owner.summary.block_number is not None:
                continue  # the block-age test above is exact for finished cycles
            # A cycle that never finished (killed) left no block number: it must not have
            # started where only the old block was there to read.
            started = owner.started_at.timestamp()
            for window in self.stale_windows:
                end = window.resumed_at if window.resumed_at is not None else float("inf")
                if window.stale_from <= started < end - 2.0:
                    self._violate(
                        f"intent {client_id} of cycle {cycle_id} started at {started:.3f}, "
                        f"inside a stale window (no block after {window.last_block} "
                        f"@ {window.last_block_ts} until {window.resumed_at})"
                    )

    def stale_skips_in(self, window: StaleWindow, cycles: Sequence[CycleRecord]) -> int:
        return sum(
            1
            for c in cycles
            if c.outcome is CycleOutcome.SKIPPED
            and (c.error or "").startswith("stale chain data")
            and window.contains(c.started_at.timestamp())
        )

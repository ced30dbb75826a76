"""The paper exchange's book, and where it is kept between runs.

``PaperStateStore`` is the seam to storage: ``JournalPaperStateStore(journal)`` keeps the book in
the journal database (``Journal.save_paper_state`` / ``load_paper_state``);
``InMemoryPaperStateStore`` serves tests and one-shot runs.
The serialised form is plain JSON (strings for Decimals) so any store can keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from bot.core.model import ZERO, MarginType, OrderReport, OrderStatus, Side, Venue
from bot.exchange.paper_book import BookPosition, FillResult

STATE_VERSION = 1


@runtime_checkable
class PaperStateStore(Protocol):
    def load(self, name: str) -> dict[str, Any] | None: ...

    def save(self, name: str, state: dict[str, Any]) -> None: ...


class InMemoryPaperStateStore:
    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}

    def load(self, name: str) -> dict[str, Any] | None:
        return self.saved.get(name)

    def save(self, name: str, state: dict[str, Any]) -> None:
        self.saved[name] = state


class PaperStateJournal(Protocol):
    """What ``bot.journal.Journal`` offers for paper state (structural: no import needed)."""

    def save_paper_state(self, name: str, state: Mapping[str, Any]) -> None: ...

    def load_paper_state(self, name: str) -> dict[str, Any] | None: ...


class JournalPaperStateStore:
    """Keeps the paper book in the journal database, so a restarted dry-run continues."""

    def __init__(self, journal: PaperStateJournal) -> None:
        self._journal = journal

    def load(self, name: str) -> dict[str, Any] | None:
        return self._journal.load_paper_state(name)

    def save(self, name: str, state: dict[str, Any]) -> None:
        self._journal.save_paper_state(name, state)


class ReadOnlyPaperStore(JournalPaperStateStore):
    """The saved book, loaded and never saved: a second process (status) must not write the
    book the running daemon owns."""

    def save(self, name: str, state: dict[str, Any]) -> None:
        return None


def _report_to_json(r: OrderReport) -> dict[str, Any]:
    return {
        "symbol": r.symbol,
        "client_order_id": r.client_order_id,
        "status": r.status.value,
        "exchange_order_id": r.exchange_order_id,
        "side": r.side.value if r.side else None,
        "quantity": str(r.quantity),
        "executed_quantity": str(r.executed_quantity),
        "average_price": str(r.average_price),
        "fee": str(r.fee),
        "fee_asset": r.fee_asset,
        "reduce_only": r.reduce_only,
        "update_time_ms": r.update_time_ms,
    }


def _report_from_json(d: dict[str, Any]) -> OrderReport:
    return OrderReport(
        symbol=d["symbol"],
        client_order_id=d["client_order_id"],
        status=OrderStatus(d["status"]),
        exchange_order_id=d["exchange_order_id"],
        side=Side(d["side"]) if d["side"] else None,
        quantity=Decimal(d["quantity"]),
        executed_quantity=Decimal(d["executed_quantity"]),
        average_price=Decimal(d["average_price"]),
        fee=Decimal(d["fee"]),
        fee_asset=d["fee_asset"],
        reduce_only=d["reduce_only"],
        update_time_ms=d["update_time_ms"],
        paper=True,
    )


def _decimals(d: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in d.items()}


def _strings(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in d.items()}


@dataclass(kw_only=True)
class PaperState:
    """Mutable book of one paper account. Balances are keyed ``(venue, asset)``."""

    positions: dict[str, BookPosition] = field(default_factory=dict)
    balances: dict[tuple[Venue, str], Decimal] = field(default_factory=dict)
    orders: dict[str, OrderReport] = field(default_factory=dict)  # by client order id
    leverage: dict[str, int] = field(default_factory=dict)
    margin_type: dict[str, MarginType] = field(default_factory=dict)
    multi_assets: bool = False
    realized_pnl: dict[str, Decimal] = field(default_factory=dict)  # per symbol, before fees
    fees: dict[str, Decimal] = field(default_factory=dict)
    funding: dict[str, Decimal] = field(default_factory=dict)  # received (+) / paid (−)
    last_funding_ms: int = 0
    # The venue's next funding time per symbol when the book last looked (paper_funding).
    funding_next_ms: dict[str, int] = field(default_factory=dict)
    next_order_id: int = 1

    def position(self, symbol: str) -> BookPosition:
        return self.positions.get(symbol, BookPosition())

    def credit(self, venue: Venue, asset: str, amount: Decimal) -> None:
        self.balances[(venue, asset)] = self.balances.get((venue, asset), ZERO) + amount

    def add(self, book: dict[str, Decimal], symbol: str, amount: Decimal) -> None:
        book[symbol] = book.get(symbol, ZERO) + amount

    def book_fill(self, symbol: str, venue: Venue, asset: str, fill: FillResult) -> None:
        """``symbol``'s position after ``fill``, its PnL less the fee on the ``asset`` wallet."""
        self.positions[symbol] = fill.position
        self.credit(venue, asset, fill.realized_pnl - fill.fee)
        self.add(self.realized_pnl, symbol, fill.realized_pnl)
        self.add(self.fees, symbol, fill.fee)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "positions": {
                s: {"quantity": str(p.quantity), "entry_price": str(p.entry_price)}
                for s, p in self.positions.items()
            },
            "balances": {f"{v.value}:{a}": str(x) for (v, a), x in self.balances.items()},
            "orders": {cid: _report_to_json(r) for cid, r in self.orders.items()},
            "leverage": dict(self.leverage),
            "margin_type": {s: m.value for s, m in self.margin_type.items()},
            "multi_assets": self.multi_assets,
            "realized_pnl": _strings(self.realized_pnl),
            "fees": _strings(self.fees),
            "funding": _strings(self.funding),
            "last_funding_ms": self.last_funding_ms,
            "funding_next_ms": dict(self.funding_next_ms),
            "next_order_id": self.next_order_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PaperState:
        if d.get("version") != STATE_VERSION:
            raise ValueError(f"paper state version {d.get('version')!r}, expected {STATE_VERSION}")
        balances = {}
        for key, value in d["balances"].items():
            venue, asset = key.split(":", 1)
            balances[(Venue(venue), asset)] = Decimal(value)
        return cls(
            positions={
                s: BookPosition(
                    quantity=Decimal(p["quantity"]), entry_price=Decimal(p["entry_price"])
                )
                for s, p in d["positions"].items()
            },
            balances=balances,
            orders={cid: _report_from_json(r) for cid, r in d["orders"].items()},
            leverage={s: int(x) for s, x in d["leverage"].items()},
            margin_type={s: MarginType(m) for s, m in d["margin_type"].items()},
            multi_assets=bool(d["multi_assets"]),
            realized_pnl=_decimals(d["realized_pnl"]),
            fees=_decimals(d["fees"]),
            funding=_decimals(d["funding"]),
            last_funding_ms=int(d["last_funding_ms"]),
            # Absent from books saved before published funding was settled: start looking now.
            funding_next_ms={s: int(t) for s, t in d.get("funding_next_ms", {}).items()},
            next_order_id=int(d["next_order_id"]),
        )

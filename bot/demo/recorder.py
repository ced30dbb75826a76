"""What the demo saw, over scenario time: one ``Sample`` per tick and the discrete ``Event``s
(orders, repay transactions, money moves, liquidations). The chart and the summary read from
here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    ORDER = "order"
    REPAY = "repay"
    TX = "tx"  # approve, or a repay that did not get mined
    WITHDRAWAL = "withdrawal"  # hedge profit from the exchange to the reserve, one per stage
    DEPOSIT = "deposit"  # reserve to the exchange as margin, one per stage
    LIQUIDATION = "liquidation"
    NOTE = "note"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    t: Decimal  # scenario seconds
    kind: EventKind
    text: str
    amount_usd: Decimal = Decimal(0)  # repaid, debt covered by a liquidation, or moved (done)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    t: Decimal
    marks: dict[str, Decimal]  # underlying -> exchange mark
    oracle: dict[str, Decimal]  # underlying -> oracle price
    oracle_hf: Decimal
    shadow_hf: Decimal
    liquidation_usd: dict[str, Decimal | None]
    short_usd: dict[str, Decimal]  # underlying -> current short notional
    target_usd: dict[str, Decimal]  # underlying -> the daemon's latest target
    reserve: Decimal
    debt_usd: Decimal


@dataclass(slots=True)
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    def event(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]

    def min_hf(self) -> Decimal | None:
        finite = [s.oracle_hf for s in self.samples if s.oracle_hf.is_finite()]
        return min(finite) if finite else None

    def as_json(self) -> dict[str, Any]:
        def num(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "samples": [
                {
                    "t": str(s.t),
                    "marks": {k: str(v) for k, v in s.marks.items()},
                    "oracle": {k: str(v) for k, v in s.oracle.items()},
                    "oracle_hf": str(s.oracle_hf),
                    "shadow_hf": str(s.shadow_hf),
                    "liquidation_usd": {k: num(v) for k, v in s.liquidation_usd.items()},
                    "short_usd": {k: str(v) for k, v in s.short_usd.items()},
                    "target_usd": {k: str(v) for k, v in s.target_usd.items()},
                    "reserve": str(s.reserve),
                    "debt_usd": str(s.debt_usd),
                }
                for s in self.samples
            ],
            "events": [
                {
                    "t": str(e.t),
                    "kind": e.kind.value,
                    "text": e.text,
                    "amount_usd": str(e.amount_usd),
                }
                for e in self.events
            ],
        }


__all__ = ["Event", "EventKind", "Recorder", "Sample"]

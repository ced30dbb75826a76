"""Is the exchange's position reading the position hedgebot's own fills lead to? (pure)

A venue can answer a position request with an empty list, or a stale row, while a short is
open; planned on, such a reading sells the hedge again (seen: three times, 3.7x the target).
The hedger therefore compares every reading with what it expects: the last reading both
agreed on, plus the fills journaled since. ``offset`` is that agreement: reading minus the
journal's sum at the time, per symbol (a position adopted at start, or set by hand and
accepted, is in it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.core.model import HedgePosition, OrderReport, Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionAgreement:
    offset: Mapping[str, Decimal] = field(default_factory=dict)
    agreed: bool = False  # False until a first reading was taken as the start


@dataclass(frozen=True, slots=True, kw_only=True)
class Disagreement:
    symbol: str
    reading: Decimal
    expected: Decimal

    def describe(self) -> str:
        return (
            f"{self.symbol}: the exchange reports {self.reading.normalize():f}, hedgebot's own "
            f"fills lead to {self.expected.normalize():f}"
        )


def journal_positions(
    fills: Iterable[tuple[str, Side, OrderReport | None]],
) -> dict[str, Decimal]:
    """Signed position per symbol that the journaled fills add up to."""
    out: dict[str, Decimal] = {}
    for symbol, side, outcome in fills:
        if outcome is None or outcome.executed_quantity == 0:
            continue
        signed = outcome.executed_quantity if side is Side.BUY else -outcome.executed_quantity
        out[symbol] = out.get(symbol, ZERO) + signed
    return out


def reading_of(hedges: Sequence[HedgePosition], symbols: Iterable[str]) -> dict[str, Decimal]:
    held = {h.symbol: h.quantity for h in hedges}
    return {s: held.get(s, ZERO) for s in symbols}


def check_positions(
    reading: Mapping[str, Decimal],
    journal: Mapping[str, Decimal],
    agreement: PositionAgreement,
) -> tuple[list[Disagreement], PositionAgreement]:
    """The symbols whose reading is not what the fills lead to, and the agreement after this
    reading (unchanged while there is a disagreement: it is never learned from)."""
    if not agreement.agreed:
        return [], _agree(reading, journal)
    wrong = []
    for symbol, held in sorted(reading.items()):
        expected = journal.get(symbol, ZERO) + agreement.offset.get(symbol, ZERO)
        if held != expected:
            wrong.append(Disagreement(symbol=symbol, reading=held, expected=expected))
    return wrong, agreement


def _agree(reading: Mapping[str, Decimal], journal: Mapping[str, Decimal]) -> PositionAgreement:
    offset = {s: q - journal.get(s, ZERO) for s, q in reading.items()}
    return PositionAgreement(offset=offset, agreed=True)


__all__ = [
    "Disagreement",
    "PositionAgreement",
    "check_positions",
    "journal_positions",
    "reading_of",
]

"""The hedger's check of each position reading against its own fills (``bot.core.
position_check``): a reading that disagrees is read again, then held with an alert."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from bot.core.hedger import MarketView
from bot.core.position_check import (
    PositionAgreement,
    check_positions,
    journal_positions,
    reading_of,
)
from bot.journal import Journal


def fill_positions(journal: Journal) -> dict[str, Decimal]:
    """Signed position per symbol that every journaled fill (all positions) adds up to."""
    return journal_positions(
        (r.journaled.intent.symbol, r.journaled.intent.side, r.outcome)
        for r in journal.orders_since(0)
    )


class PositionGuardrail:
    def __init__(self, journal: Journal, symbols: Sequence[str], *, adopt: bool) -> None:
        self._journal = journal
        self._symbols = sorted(set(symbols))
        # refuse: what the exchange holds must be what the fills explain (checked at start);
        # adopt: the first reading that two reads in a row agree on is the start.
        self._agreement = PositionAgreement(agreed=not adopt)
        self._fills: tuple[int, dict[str, Decimal]] | None = None  # (last report id, fills)

    def check(
        self, market: MarketView, read_again: Callable[[], MarketView]
    ) -> tuple[MarketView, list[str]]:
        """The reading to plan on, and what is wrong with it (empty: plan on it)."""
        fills = self._journal_fills()
        if not self._agreement.agreed:
            again = read_again()
            if self._reading(again) != self._reading(market):
                return again, ["two position readings in a row differ: not adopted yet"]
            _, self._agreement = check_positions(self._reading(again), fills, self._agreement)
            return again, []
        wrong, _ = check_positions(self._reading(market), fills, self._agreement)
        if not wrong:
            return market, []
        again = read_again()  # a bad answer is rarely repeated; a real change is
        wrong, _ = check_positions(self._reading(again), fills, self._agreement)
        return again, [w.describe() for w in wrong]

    def _journal_fills(self) -> dict[str, Decimal]:
        """``fill_positions``, summed again only when a report was journaled since: every
        order ever is read to sum them, each cycle, a cost that grew with the journal (and the
        largest part of an idle cycle). Reports are append-only, so the latest one's id says
        whether any fill changed; it is read first, so a report journaled during the sum is
        summed again next cycle rather than missed. Another process's orders (``hedgebot
        flatten``) are journaled reports too."""
        last = self._journal.last_outcome_id()
        if self._fills is None or self._fills[0] != last:
            self._fills = (last, fill_positions(self._journal))
        return self._fills[1]

    def _reading(self, market: MarketView) -> dict[str, Decimal]:
        return reading_of(market.hedges, self._symbols)

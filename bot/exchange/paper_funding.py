"""Funding for the paper book as the venue settles it: at each funding time the venue
publishes (``fundingRate`` history: the time, the rate and the mark it settled at), on the
position the book held then.

A funding time is noticed when the venue's next funding time moves on (read with the marks, so
it costs no request); only then is the history read, once per symbol per funding time. The
last next-funding time seen is kept in the paper state: a dry-run restarted after a gap settles
every funding time it slept through, on the position it held (a paper position cannot change
while the daemon is down), and never one twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ContractSpec
from bot.exchange.base import FundingFeed
from bot.exchange.paper_book import funding_payment
from bot.exchange.paper_state import PaperState


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperFunding:
    """What the paper book received (+) or paid (-) at one funding time."""

    symbol: str
    asset: str  # the contract's margin asset, in which the venue pays it
    amount: Decimal
    funding_time_ms: int
    rate: Decimal
    mark: Decimal

    @property
    def transaction_id(self) -> str:
        """The one id of this payment (the journal keeps it once)."""
        return f"paper-{self.symbol}-{self.funding_time_ms}"


def settle_published_funding(
    state: PaperState,
    specs: Mapping[str, ContractSpec],
    feed: FundingFeed,
    *,
    fresh_for: str | None = None,
) -> list[PaperFunding]:
    """Credit ``state`` with every funding time the venue settled since the last look; the
    caller saves the state when anything changed (the returned list, or a new next time).

    ``fresh_for``: the symbol an order is about to change. Its next funding time is read
    from the venue, not from the last mark read: a funding time that passed since that read
    would otherwise be charged later on the position this order leaves.
    """
    paid: list[PaperFunding] = []
    for symbol, spec in sorted(specs.items()):
        upcoming = feed.next_funding_ms(symbol, fresh=symbol == fresh_for)
        seen = state.funding_next_ms.get(symbol)
        if seen is not None and upcoming <= seen:
            continue
        book = state.position(symbol)
        if seen is None or book.quantity == 0:
            state.funding_next_ms[symbol] = upcoming
            continue  # nothing held since the last look (or no look yet): nothing owed
        events = feed.funding_events(symbol, start_ms=seen, end_ms=upcoming - 1)
        if not events:
            continue  # the venue moved its clock before publishing the row: look again
        state.funding_next_ms[symbol] = upcoming
        for event in events:
            amount = funding_payment(spec, book, event.mark, event.rate)
            state.credit(spec.venue, spec.margin_asset, amount)
            state.add(state.funding, symbol, amount)
            state.last_funding_ms = max(state.last_funding_ms, event.funding_time_ms)
            paid.append(
                PaperFunding(
                    symbol=symbol,
                    asset=spec.margin_asset,
                    amount=amount,
                    funding_time_ms=event.funding_time_ms,
                    rate=event.rate,
                    mark=event.mark,
                )
            )
    return paid

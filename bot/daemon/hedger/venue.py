"""The exchange account made ready once, by whichever hedger gets there first.

Account set-up (leverage, margin type, Multi-Assets Mode) and the check that the journal
explains every open position need the exchange. An exchange that cannot be reached at start
must not keep the guard from starting, so the daemon tries here at start and each hedger cycle
tries again until it succeeds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import structlog

from bot.core.model import HedgePosition
from bot.daemon.hedger.executor import reconcile_pending
from bot.daemon.hedger.positions import fill_positions
from bot.exchange.base import AccountSetup, Exchange
from bot.exchange.errors import AccountSetupError
from bot.journal import Journal

log = structlog.get_logger(__name__)


class UnexplainedPositionError(RuntimeError):
    """The exchange holds a hedge the journal does not account for, and config says refuse."""


def unexplained_positions(
    exchange: Exchange, journal: Journal, *, symbols: Sequence[str]
) -> list[tuple[str, Decimal, Decimal]]:
    """(symbol, position on the exchange, position the journal's fills explain) per mismatch."""
    explained = dict.fromkeys(symbols, Decimal(0)) | fill_positions(journal)
    on_exchange: dict[str, HedgePosition] = {p.symbol: p for p in exchange.positions()}
    out = []
    for symbol in sorted(set(explained) | set(on_exchange)):
        actual = on_exchange[symbol].quantity if symbol in on_exchange else Decimal(0)
        if actual != explained.get(symbol, Decimal(0)):
            out.append((symbol, actual, explained.get(symbol, Decimal(0))))
    return out


class VenueGate:
    def __init__(
        self,
        exchange: Exchange,
        setup: AccountSetup,
        *,
        journal: Journal,
        symbols: Mapping[str, str],
        on_unexplained: str,
    ) -> None:
        self._exchange = exchange
        self._setup = setup
        self._journal = journal
        self._symbol_for_underlying = dict(symbols)
        self._symbols = sorted(symbols.values())
        self._on_unexplained = on_unexplained
        self._lock = threading.Lock()
        self._ready = False

    @property
    def ready(self) -> bool:
        return self._ready

    def reset(self) -> None:
        """Make the account ready again on the next cycle (a new leader, see bot.daemon.ha_gate)."""
        with self._lock:
            self._ready = False

    def ensure_ready(self, now: datetime) -> None:
        """Set the account up, settle what a previous run left pending and check the positions,
        once; raises until that succeeds."""
        with self._lock:
            if self._ready:
                return
            self._check_contracts()
            for change in self._exchange.setup(self._setup):
                log.info("account setup", change=change)
            # Orders a previous run left without an outcome count before positions are checked.
            # Every name counts: a past run may have journaled them under another position name.
            settled = reconcile_pending(
                exchange=self._exchange, journal=self._journal, position=None, now=now
            )
            if settled:
                log.info("reconciled pending intents", count=len(settled))
            self._check_positions()
            self._ready = True
            log.info("exchange account ready", at=now.isoformat())

    def _check_contracts(self) -> None:
        """Each configured symbol is listed (the adapter refuses it otherwise) and tracks the
        underlying it hedges: a short booked under another underlying is never seen as the
        hedge, and the planner would sell again every cycle."""
        specs = self._exchange.contract_specs()
        wrong = [
            f"hedge.symbols.{u}: {symbol} is a {specs[symbol].underlying} contract, not {u}"
            for u, symbol in sorted(self._symbol_for_underlying.items())
            if symbol in specs and specs[symbol].underlying != u
        ]
        if wrong:
            raise AccountSetupError("; ".join(wrong))

    def _check_positions(self) -> None:
        mismatches = unexplained_positions(self._exchange, self._journal, symbols=self._symbols)
        for symbol, actual, explained in mismatches:
            log.warning(
                "position not explained by the journal",
                symbol=symbol,
                on_exchange=str(actual),
                journal=str(explained),
                policy=self._on_unexplained,
            )
        if mismatches and self._on_unexplained == "refuse":
            raise UnexplainedPositionError(
                "the exchange holds positions the journal does not explain: "
                + ", ".join(f"{s} {a} (journal {e})" for s, a, e in mismatches)
                + "; close them, or set hedge.on_unexplained_position: adopt"
            )


__all__ = ["UnexplainedPositionError", "VenueGate", "unexplained_positions"]

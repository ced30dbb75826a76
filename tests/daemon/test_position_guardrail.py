"""The hedger's check of the exchange's positions against the journaled fills sums the fills
again only when a report was journaled since (issue 18), whoever journaled it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.core.hedger import MarketView
from bot.core.model import HedgePosition, MarginType, Side
from bot.daemon.hedger.positions import PositionGuardrail
from bot.journal import Journal
from tests.journal.test_journal_contract import filled, intent


def short(quantity: str) -> MarketView:
    hedge = HedgePosition(
        symbol="BTCUSDT", quantity=-Decimal(quantity), entry_price=Decimal(100_000),
        mark_price=Decimal(100_000), unrealized_pnl=Decimal(0), leverage=3,
        margin_type=MarginType.CROSS, liquidation_price=None,
    )  # fmt: skip
    return MarketView(specs={}, marks={}, hedges=(hedge,), balances=(), orders_last_hour=0)


def test_a_fill_journaled_by_another_process_is_counted_by_the_next_check(
    tmp_path: Path,
) -> None:
    daemon = Journal.open(tmp_path / "j.db")
    daemon.record_intent(intent("hb-1"), position="main", cycle_id=None)
    daemon.record_outcome(filled("hb-1"))  # short 0.012
    guardrail = PositionGuardrail(daemon, ["BTCUSDT"], adopt=False)
    for _ in range(2):
        assert guardrail.check(short("0.012"), lambda: short("0.012"))[1] == []

    # `hedgebot flatten` buys it back through its own journal connection.
    with Journal.open(tmp_path / "j.db") as cli:
        cli.record_intent(intent("hb-2", side=Side.BUY), position="main", cycle_id=None)
        cli.record_outcome(filled("hb-2", side=Side.BUY))
    assert guardrail.check(short("0"), lambda: short("0"))[1] == []
    _, wrong = guardrail.check(short("0.012"), lambda: short("0.012"))
    assert wrong, "a short the fills no longer explain must be held"

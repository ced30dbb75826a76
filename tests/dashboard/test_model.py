"""The page's model from journal records: the HF chart's points, the last orders and repays,
the futures shorts' own liquidation distance, the colour an HF gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.core.model import (
    HedgePosition,
    MarginType,
    OrderIntent,
    OrderReport,
    OrderStatus,
    Side,
)
from bot.dashboard.model import GuardLines, dashboard_model, hf_state
from bot.journal import (
    CycleOutcome,
    CycleRecord,
    CycleSummary,
    JournaledIntent,
    OrderRecord,
    TxIntent,
    TxRecord,
    TxStatus,
)

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LINES = GuardLines(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.6"))


def _cycle(minute: int, oracle: str | None) -> CycleRecord:
    return CycleRecord(
        cycle_id=f"c{minute}",
        position="main",
        started_at=AT + timedelta(minutes=minute),
        finished_at=AT + timedelta(minutes=minute, seconds=1),
        outcome=CycleOutcome.OK if oracle else CycleOutcome.FAILED,
        summary=CycleSummary(
            block_number=100 + minute,
            oracle_hf=None if oracle is None else Decimal(oracle),
            shadow_hf=None if oracle is None else Decimal(oracle) - Decimal("0.01"),
        ),
        error=None if oracle else "rpc down",
    )


def _order(n: int, status: OrderStatus | None) -> OrderRecord:
    intent = OrderIntent(
        symbol="BTCUSDT", side=Side.SELL, quantity=Decimal("0.5"), reduce_only=False,
        client_order_id=f"o{n}", reason="hedge up",
    )  # fmt: skip
    report = None
    if status is not None:
        report = OrderReport(
            symbol="BTCUSDT", client_order_id=f"o{n}", status=status,
            executed_quantity=Decimal("0.5"), average_price=Decimal("60000.1"),
        )  # fmt: skip
    return OrderRecord(
        journaled=JournaledIntent(
            intent=intent, position="main", cycle_id=None, created_at=AT + timedelta(minutes=n)
        ),
        outcome=report,
        outcome_recorded_at=None,
    )


def _model(**kw: object) -> dict[str, Any]:
    values: dict[str, object] = {
        "at": AT, "reports": (), "lines": LINES, "cycles": (), "orders": (), "txs": (),
        "hedges": (),
    }  # fmt: skip
    values.update(kw)
    return dashboard_model(**values)  # type: ignore[arg-type]


def test_hf_colour_follows_the_guards_levels() -> None:
    assert hf_state(Decimal("1.2999"), LINES) == "danger"
    assert hf_state(Decimal("1.3"), LINES) == "warn"
    assert hf_state(Decimal("1.6"), LINES) == "ok"
    assert hf_state(None, LINES) == "ok"  # no debt
    assert hf_state(Decimal("1.1"), GuardLines(trigger_hf=None, target_hf=None)) == "ok"


def test_hf_history_is_oldest_first_and_skips_cycles_without_an_hf() -> None:
    model = _model(cycles=[_cycle(2, "1.5"), _cycle(1, None), _cycle(0, "1.8")])

    history = model["hf_history"]
    assert history == [
        {"t": int(AT.timestamp() * 1000), "block": 100, "oracle_hf": "1.8", "shadow_hf": "1.79"},
        {
            "t": int((AT + timedelta(minutes=2)).timestamp() * 1000),
            "block": 102,
            "oracle_hf": "1.5",
            "shadow_hf": "1.49",
        },
    ]
    assert model["guard_lines"] == {"trigger_hf": "1.3", "target_hf": "1.6"}


def test_last_orders_newest_first_with_their_outcome() -> None:
    orders = [_order(n, OrderStatus.FILLED) for n in range(12)] + [_order(12, None)]

    shown = _model(orders=orders)["orders"]

    assert len(shown) == 10
    assert shown[0]["status"] == "pending"
    assert shown[1]["status"] == "FILLED"
    assert shown[1]["average_price"] == "60000.1"
    assert shown[-1]["at"] == (AT + timedelta(minutes=3)).isoformat()


def test_repays_show_amount_status_and_the_mined_hash() -> None:
    tx = TxRecord(
        intent=TxIntent(
            tx_key="k", chain_id=1, from_address="0xa", nonce=3, to_address="0xb", kind="repay",
            data_hash="0xd", amount=Decimal("1500"), asset="USDC", position="main",
        ),
        status=TxStatus.MINED, tx_hashes=("0x1", "0x2"), mined_tx_hash="0x2", receipt_block=9,
        gas_used=100, revert_reason=None, created_at=AT, updated_at=AT,
    )  # fmt: skip

    (repay,) = _model(txs=[tx])["repays"]

    assert repay == {
        "at": AT.isoformat(), "kind": "repay", "position": "main", "amount": "1500",
        "asset": "USDC", "status": "mined", "tx_hash": "0x2", "revert_reason": None,
    }  # fmt: skip


def test_a_shorts_liquidation_distance_is_how_far_the_mark_may_rise() -> None:
    def short(symbol: str, quantity: str, liquidation: str | None) -> HedgePosition:
        return HedgePosition(
            symbol=symbol, quantity=Decimal(quantity), entry_price=Decimal(60_000),
            mark_price=Decimal(60_000), unrealized_pnl=Decimal(0), leverage=3,
            margin_type=MarginType.CROSS,
            liquidation_price=None if liquidation is None else Decimal(liquidation),
        )  # fmt: skip

    shown = _model(
        hedges=[short("BTCUSDT", "-1", "90000"), short("ETHUSDT", "0", "1"), short("X", "-1", None)]
    )["hedge_liquidation"]

    assert [h["symbol"] for h in shown] == ["BTCUSDT", "X"]  # a flat symbol is no hedge
    assert Decimal(shown[0]["distance"]) == Decimal("0.5")
    assert shown[1]["distance"] is None

"""The short's own liquidation distance, watched every cycle (issue 14, finding 4)."""

from __future__ import annotations

from dataclasses import replace

from core_builders import D, hedge, linear_spec

from bot.alerts import events as alert_events
from bot.core.hedge_watch import hedge_dangers, hedge_distance, step_alarms
from bot.core.model import HedgePosition, MarginType

SPEC = {"BTCUSDT": linear_spec()}
FLOOR = D("0.30")


def _short(liquidation: str | None, mark: str = "60000") -> HedgePosition:
    position = hedge("BTCUSDT", "-0.5", "60000", mark)
    return replace(position, liquidation_price=None if liquidation is None else D(liquidation))


def test_the_distance_comes_from_the_exchanges_liquidation_price() -> None:
    short = _short("64260")  # 7.1 % above the mark
    found = hedge_distance(short, SPEC["BTCUSDT"], D(60000))
    assert found is not None
    distance, price = found
    assert distance == D("0.071")
    assert price == D(64260)
    (danger,) = hedge_dangers([short], SPEC, {"BTCUSDT": D(60000)}, floor=FLOOR)
    alert = alert_events.liquidation_distance_low(
        position="main", symbol="BTCUSDT", distance=danger.distance, floor=FLOOR,
        liquidation_price=danger.liquidation_price,
    )  # fmt: skip
    assert "7.1 % from liquidation" in alert.title  # it said "0.0 %" before


def test_an_isolated_short_without_a_price_from_the_venue_is_estimated() -> None:
    position = replace(
        hedge("BTCUSDT", "-0.5", "60000", "60000", margin_type=MarginType.ISOLATED),
        isolated_margin=D(3000),
    )
    found = hedge_distance(position, SPEC["BTCUSDT"], D(60000))
    assert found is not None
    assert D("0.05") < found[0] < D("0.15")  # 10 % of notional as margin, less maintenance


def test_alarm_once_then_again_only_after_recovering_past_the_floor() -> None:
    marks = {"BTCUSDT": D(60000)}
    near = hedge_dangers([_short("64260")], SPEC, marks, floor=FLOOR)
    new, alarmed = step_alarms(near, {"BTCUSDT": D("0.071")}, frozenset(), floor=FLOOR)
    assert [d.symbol for d in new] == ["BTCUSDT"]
    new, alarmed = step_alarms(near, {"BTCUSDT": D("0.071")}, alarmed, floor=FLOOR)
    assert new == []  # the same danger: no second alert
    # Just over the floor is not recovered yet (hysteresis)...
    new, alarmed = step_alarms([], {"BTCUSDT": D("0.31")}, alarmed, floor=FLOOR)
    assert alarmed == frozenset({"BTCUSDT"})
    # ...well over it is, and the next danger alerts again.
    new, alarmed = step_alarms([], {"BTCUSDT": D("0.40")}, alarmed, floor=FLOOR)
    assert alarmed == frozenset()
    new, _ = step_alarms(near, {"BTCUSDT": D("0.071")}, alarmed, floor=FLOOR)
    assert len(new) == 1


def test_a_far_or_unpriced_short_is_no_danger() -> None:
    marks = {"BTCUSDT": D(60000)}
    assert hedge_dangers([_short("90000"), _short(None)], SPEC, marks, floor=FLOOR) == []

"""The falls `hedgebot status` sizes the reserve for are the shipped data's own."""

from __future__ import annotations

import pytest

from bot.core.reserve import WORST_90D_FALLS, worst_fall_for
from bot.sim.candles import cached_rolling
from bot.sim.rolling import worst_fall


@pytest.mark.parametrize("underlying", sorted(WORST_90D_FALLS))
def test_the_shipped_worst_falls_are_measured_on_the_shipped_data(underlying: str) -> None:
    measured = worst_fall(cached_rolling(f"{underlying}USDT"), 90 * 24, underlying)
    assert measured == WORST_90D_FALLS[underlying]


def test_a_mixed_position_is_sized_for_its_deepest_fall() -> None:
    fall = worst_fall_for(["BTC", "ETH", "DOGE"])
    assert fall is not None
    assert fall.underlying == "ETH"
    assert (
        fall.words()
        == "the worst 90-day fall in the 2020-2026 data (ETH -75%, 2022-04-03 -> 2022-06-18)"
    )
    assert worst_fall_for(["DOGE"]) is None

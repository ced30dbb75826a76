"""USD delta per underlying."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_builders import MAPPING, asset, hedge, inverse_spec, linear_spec, snapshot

from bot.core.exposure import exposures
from bot.core.model import MarginBalance, Venue

D = Decimal
SPECS = {
    "BTCUSDT": linear_spec(),
    "ETHUSD_PERP": inverse_spec("ETHUSD_PERP", "ETH"),
    "BNBUSD_PERP": inverse_spec("BNBUSD_PERP", "BNB"),
}
POSITION = snapshot(
    asset("WBTC", collateral="0.5", price="60000", lt="0.78"),
    asset("BTCB", collateral="0.25", price="60100", lt="0.7"),
    asset("WETH", collateral="4", debt="1", price="2500", lt="0.825"),
    asset("USDC", debt="12000", price="1", lt="0.78"),
    asset("USDT", debt="5000", price="1", lt="0.78"),
)


def test_multi_asset_exposure_by_hand() -> None:
    hedges = [
        hedge("BTCUSDT", "-0.2", "59000", "60000"),
        hedge("ETHUSD_PERP", "-300", "2400", "2500"),
    ]
    marks = {"BTCUSDT": D(60050), "ETHUSD_PERP": D(2500), "BNB": D(600)}
    margin = [
        MarginBalance(
            asset="BNB",
            wallet_balance=D(5),
            available_balance=D(5),
            usd_value=D(2850),
            venue=Venue.USDM,
        ),
        MarginBalance(
            asset="USDT",
            wallet_balance=D(1000),
            available_balance=D(1000),
            usd_value=D(1000),
            venue=Venue.USDM,
        ),
    ]
    result = exposures(POSITION, MAPPING, hedges, SPECS, marks, margin)
    assert set(result) == {"BTC", "ETH", "BNB"}
    btc, eth, bnb = result["BTC"], result["ETH"], result["BNB"]
    assert btc.defi_delta_usd == D(30000) + D(15025)
    assert btc.hedge_delta_usd == D("-0.2") * D(60050)
    assert eth.defi_delta_usd == D(3) * D(2500)
    assert eth.hedge_delta_usd == -D(300) * D(10) * D(2500) / D(2400)
    assert bnb.margin_delta_usd == D(3000)  # the mark, not the haircut value
    assert bnb.net_delta_usd == D(3000)
    assert eth.net_delta_usd == D(7500) - D(3125)


def test_margin_can_be_left_out_and_unknown_tokens_fail_loudly() -> None:
    margin = [
        MarginBalance(
            asset="BNB",
            wallet_balance=D(5),
            available_balance=D(5),
            usd_value=D(1),
            venue=Venue.COINM,
        )
    ]
    result = exposures(
        POSITION, MAPPING, [], SPECS, {"BNB": D(600)}, margin, count_margin_as_exposure=False
    )
    assert "BNB" not in result
    with pytest.raises(ValueError, match="'DOGE'"):
        exposures(
            snapshot(asset("DOGE", collateral="1", price="1", lt="0.5")), MAPPING, [], SPECS, {}
        )
    with pytest.raises(ValueError, match="XRPUSDT"):
        exposures(POSITION, MAPPING, [hedge("XRPUSDT", "-1", "1", "1")], SPECS, {})

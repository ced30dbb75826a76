"""Small builders for the risk-core tests (imported by the test modules next to it)."""

from __future__ import annotations

from decimal import Decimal

from bot.core.model import (
    AssetPosition,
    ContractSpec,
    HedgePosition,
    MarginType,
    PositionSnapshot,
    TokenMapping,
    Venue,
)

D = Decimal
DECIMALS = {
    "WBTC": 8,
    "BTCB": 18,
    "WETH": 18,
    "ETH": 18,
    "USDC": 6,
    "USDT": 6,
    "WBNB": 18,
    "DAI": 18,
    "LINK": 18,
    "SOL": 9,
    "XRP": 6,
    "CAKE": 18,
}


def asset(
    symbol: str,
    *,
    collateral: str | Decimal = "0",
    debt: str | Decimal = "0",
    price: str | Decimal,
    lt: str | Decimal = "0",
    enabled: bool = True,
    decimals: int | None = None,
) -> AssetPosition:
    return AssetPosition(
        symbol=symbol,
        address=f"0x{symbol.lower()}",
        decimals=DECIMALS.get(symbol, 18) if decimals is None else decimals,
        collateral=D(collateral),
        debt=D(debt),
        price_usd=D(price),
        liquidation_threshold=D(lt),
        collateral_enabled=enabled,
    )


def snapshot(*assets: AssetPosition) -> PositionSnapshot:
    return PositionSnapshot(
        protocol="aave-v3",
        chain_id=56,
        wallet="0xwallet",
        block_number=1,
        block_timestamp=1_700_000_000,
        assets=tuple(assets),
    )


MAPPING = {
    t: TokenMapping(token=t, underlying=u)
    for t, u in {
        "WBTC": "BTC",
        "BTCB": "BTC",
        "WETH": "ETH",
        "ETH": "ETH",
        "WBNB": "BNB",
        "LINK": "LINK",
        "SOL": "SOL",
        "XRP": "XRP",
        "CAKE": "CAKE",
        "USDC": "USD",
        "USDT": "USD",
        "DAI": "USD",
    }.items()
}


def golden_snapshot(wbtc_price: str = "30000") -> PositionSnapshot:
    """The issue's example: 1 WBTC + 10 WETH against 40,000 USDC."""
    return snapshot(
        asset("WBTC", collateral="1", price=wbtc_price, lt="0.75"),
        asset("WETH", collateral="10", price="3000", lt="0.825"),
        asset("USDC", debt="40000", price="1", lt="0.78"),
    )


def linear_spec(symbol: str = "BTCUSDT", underlying: str = "BTC", **kw: object) -> ContractSpec:
    values: dict[str, object] = {
        "symbol": symbol,
        "underlying": underlying,
        "venue": Venue.USDM,
        "inverse": False,
        "contract_size": D(1),
        "margin_asset": "USDT",
        "step_size": D("0.001"),
        "tick_size": D("0.1"),
        "min_qty": D("0.001"),
        "max_qty": D("1000"),
        "min_notional": D("100"),
        "maint_margin_rate": D("0.004"),
    }
    values.update(kw)
    return ContractSpec(**values)  # type: ignore[arg-type]


def inverse_spec(
    symbol: str = "BTCUSD_PERP", underlying: str = "BTC", **kw: object
) -> ContractSpec:
    values: dict[str, object] = {
        "symbol": symbol,
        "underlying": underlying,
        "venue": Venue.COINM,
        "inverse": True,
        "contract_size": D(100 if underlying == "BTC" else 10),
        "margin_asset": underlying,
        "step_size": D(1),
        "tick_size": D("0.1"),
        "min_qty": D(1),
        "max_qty": D(100000),
        "min_notional": D(0),
        "maint_margin_rate": D("0.004"),
    }
    values.update(kw)
    return ContractSpec(**values)  # type: ignore[arg-type]


def hedge(
    symbol: str,
    quantity: str | Decimal,
    entry: str | Decimal,
    mark: str | Decimal,
    *,
    leverage: int = 3,
    margin_type: MarginType = MarginType.CROSS,
) -> HedgePosition:
    return HedgePosition(
        symbol=symbol,
        quantity=D(quantity),
        entry_price=D(entry),
        mark_price=D(mark),
        unrealized_pnl=D(0),
        leverage=leverage,
        margin_type=margin_type,
        liquidation_price=None,
    )

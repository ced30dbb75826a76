"""Positions for the protect tests: exact decimal forms of the chain's integers."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from bot.core.model import AssetPosition, PositionSnapshot

WALLET = "0x1111111111111111111111111111111111111111"
WBTC_ADDR = "0x2222222222222222222222222222222222222222"
USDC_ADDR = "0x3333333333333333333333333333333333333333"
USDT_ADDR = "0x4444444444444444444444444444444444444444"
WETH_ADDR = "0x5555555555555555555555555555555555555555"


def asset(
    symbol: str,
    *,
    collateral: Decimal = Decimal(0),
    debt: Decimal = Decimal(0),
    price: Decimal,
    lt: str,
    decimals: int,
    address: str,
    enabled: bool | None = None,
    ltv: str = "0.7",
) -> AssetPosition:
    return AssetPosition(
        symbol=symbol,
        address=address,
        decimals=decimals,
        collateral=collateral,
        debt=debt,
        price_usd=price,
        liquidation_threshold=Decimal(lt),
        ltv=Decimal(ltv),
        collateral_enabled=collateral > 0 if enabled is None else enabled,
    )


def position(
    *,
    btc: Decimal = Decimal("1.5"),
    btc_price: Decimal = Decimal(60000),
    usdc_debt: Decimal = Decimal(50000),
    usdt_debt: Decimal = Decimal(0),
    weth: Decimal = Decimal(0),
    weth_debt: Decimal = Decimal(0),
    block: int = 100,
) -> PositionSnapshot:
    assets = [
        asset("WBTC", collateral=btc, price=btc_price, lt="0.78", decimals=8, address=WBTC_ADDR),
        asset("USDC", debt=usdc_debt, price=Decimal(1), lt="0.8", decimals=6, address=USDC_ADDR),
        asset("USDT", debt=usdt_debt, price=Decimal(1), lt="0.8", decimals=6, address=USDT_ADDR),
        asset(
            "WETH",
            collateral=weth,
            debt=weth_debt,
            price=Decimal(3000),
            lt="0.825",
            decimals=18,
            address=WETH_ADDR,
        ),
    ]
    return PositionSnapshot(
        protocol="aave-v3",
        chain_id=31337,
        wallet=WALLET,
        block_number=block,
        block_timestamp=1_700_000_000,
        assets=tuple(assets),
    )


def raw_decimal(lo: int, hi: int, decimals: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo, hi).map(lambda raw: Decimal(raw).scaleb(-decimals))


@st.composite
def positions(draw: st.DrawFn) -> PositionSnapshot:
    """A WBTC (+ maybe WETH) collateral position owing USDC (+ maybe USDT), HF about 0.5-3."""
    btc = draw(raw_decimal(10**6, 10**10, 8))  # 0.01 .. 100 BTC
    btc_price = draw(raw_decimal(10**12, 10**13, 8))  # 10k .. 100k USD
    weth = draw(st.one_of(st.just(Decimal(0)), raw_decimal(10**15, 10**20, 18)))
    collateral_usd = btc * btc_price + weth * 3000
    hf = draw(st.decimals(min_value=Decimal("0.5"), max_value=Decimal(3), places=3))
    debt_usd = collateral_usd * Decimal("0.78") / hf
    usdt_share = draw(st.sampled_from([Decimal(0), Decimal("0.3")]))
    usdc = (debt_usd * (1 - usdt_share)).quantize(Decimal("0.000001"))
    usdt = (debt_usd * usdt_share).quantize(Decimal("0.000001"))
    return position(btc=btc, btc_price=btc_price, usdc_debt=usdc, usdt_debt=usdt, weth=weth)

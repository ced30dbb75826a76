"""Contract specifications (filters, brackets, fees) and the default market set."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Venue = Literal["usdm", "coinm"]
D = Decimal


@dataclass(frozen=True, kw_only=True)
class Bracket:
    bracket: int
    initial_leverage: int
    floor: Decimal
    cap: Decimal
    mmr: Decimal
    cum: Decimal


@dataclass(frozen=True, kw_only=True)
class SymbolSpec:
    symbol: str
    pair: str
    venue: Venue
    base_asset: str
    quote_asset: str
    margin_asset: str
    price_precision: int
    quantity_precision: int
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal | None
    contract_size: int | None
    brackets: tuple[Bracket, ...]
    liquidation_fee: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    onboard_date: int
    sub_type: tuple[str, ...]
    default_mark: Decimal

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].initial_leverage

    def bracket_for(self, notional: Decimal) -> Bracket:
        """Bracket holding ``notional`` (USD for USD-M, coin for COIN-M)."""
        for item in self.brackets:
            if notional <= item.cap:
                return item
        return self.brackets[-1]

    def max_notional_at(self, leverage: int) -> Decimal:
        allowed = [b.cap for b in self.brackets if b.initial_leverage >= leverage]
        return max(allowed) if allowed else self.brackets[0].cap


def make_brackets(rows: list[tuple[int, float, int]]) -> tuple[Bracket, ...]:
    """Build brackets from (cap, mmr, leverage); cum follows Binance's recurrence."""
    out: list[Bracket] = []
    floor, prev_mmr, cum = D(0), D(0), D(0)
    for index, (cap, mmr, lev) in enumerate(rows, start=1):
        mmr_d = D(str(mmr))
        cum = cum + floor * (mmr_d - prev_mmr)
        out.append(
            Bracket(
                bracket=index, initial_leverage=lev, floor=floor, cap=D(cap), mmr=mmr_d, cum=cum
            )
        )
        floor, prev_mmr = D(cap), mmr_d
    return tuple(out)


_BTC_USDM = make_brackets(
    [
        (50_000, 0.004, 125),
        (500_000, 0.005, 100),
        (8_000_000, 0.01, 50),
        (50_000_000, 0.025, 20),
        (80_000_000, 0.05, 10),
        (100_000_000, 0.1, 5),
        (200_000_000, 0.125, 4),
        (300_000_000, 0.15, 3),
        (500_000_000, 0.25, 2),
        (800_000_000, 0.5, 1),
    ]
)
_ETH_USDM = make_brackets(
    [
        (50_000, 0.005, 125),
        (500_000, 0.0065, 100),
        (8_000_000, 0.01, 75),
        (50_000_000, 0.02, 50),
        (80_000_000, 0.05, 20),
        (100_000_000, 0.1, 10),
        (200_000_000, 0.125, 5),
        (400_000_000, 0.15, 4),
        (600_000_000, 0.25, 2),
        (1_000_000_000, 0.5, 1),
    ]
)
_BNB_USDM = make_brackets(
    [
        (10_000, 0.005, 75),
        (50_000, 0.01, 50),
        (250_000, 0.02, 25),
        (1_000_000, 0.05, 10),
        (2_000_000, 0.1, 5),
        (5_000_000, 0.125, 4),
        (10_000_000, 0.15, 3),
        (20_000_000, 0.25, 2),
        (50_000_000, 0.5, 1),
    ]
)
_BTC_COINM = make_brackets(
    [
        (5, 0.004, 125),
        (10, 0.005, 100),
        (20, 0.01, 50),
        (50, 0.025, 20),
        (100, 0.05, 10),
        (200, 0.1, 5),
        (400, 0.125, 4),
        (1000, 0.15, 3),
        (1500, 0.25, 2),
        (100_000, 0.5, 1),
    ]
)
_ETH_COINM = make_brackets(
    [
        (150, 0.005, 75),
        (500, 0.01, 50),
        (1000, 0.02, 25),
        (2000, 0.05, 10),
        (5000, 0.1, 5),
        (10_000, 0.125, 4),
        (20_000, 0.15, 3),
        (40_000, 0.25, 2),
        (1_000_000, 0.5, 1),
    ]
)
_BNB_COINM = make_brackets(
    [
        (500, 0.01, 50),
        (2000, 0.02, 25),
        (5000, 0.05, 10),
        (10_000, 0.1, 5),
        (20_000, 0.125, 4),
        (50_000, 0.15, 3),
        (100_000, 0.25, 2),
        (10_000_000, 0.5, 1),
    ]
)

_USDM_FEES = {"maker_fee": D("0.0002"), "taker_fee": D("0.0005")}
_COINM_FEES = {"maker_fee": D("0.0002"), "taker_fee": D("0.0005")}


def default_specs() -> dict[str, SymbolSpec]:
    specs = [
        SymbolSpec(
            symbol="BTCUSDT",
            pair="BTCUSDT",
            venue="usdm",
            base_asset="BTC",
            quote_asset="USDT",
            margin_asset="USDT",
            price_precision=2,
            quantity_precision=3,
            tick_size=D("0.10"),
            min_price=D("556.80"),
            max_price=D("4529764"),
            step_size=D("0.001"),
            min_qty=D("0.001"),
            max_qty=D("1000"),
            market_max_qty=D("120"),
            min_notional=D("100"),
            contract_size=None,
            brackets=_BTC_USDM,
            liquidation_fee=D("0.012500"),
            onboard_date=1567965300000,
            sub_type=("PoW", "Crypto"),
            default_mark=D("60000"),
            **_USDM_FEES,
        ),
        SymbolSpec(
            symbol="ETHUSDT",
            pair="ETHUSDT",
            venue="usdm",
            base_asset="ETH",
            quote_asset="USDT",
            margin_asset="USDT",
            price_precision=2,
            quantity_precision=3,
            tick_size=D("0.01"),
            min_price=D("39.86"),
            max_price=D("306177"),
            step_size=D("0.001"),
            min_qty=D("0.001"),
            max_qty=D("10000"),
            market_max_qty=D("2000"),
            min_notional=D("100"),
            contract_size=None,
            brackets=_ETH_USDM,
            liquidation_fee=D("0.012500"),
            onboard_date=1569398400000,
            sub_type=("Layer-1",),
            default_mark=D("3000"),
            **_USDM_FEES,
        ),
        SymbolSpec(
            symbol="BNBUSDT",
            pair="BNBUSDT",
            venue="usdm",
            base_asset="BNB",
            quote_asset="USDT",
            margin_asset="USDT",
            price_precision=3,
            quantity_precision=2,
            tick_size=D("0.010"),
            min_price=D("6.600"),
            max_price=D("100000"),
            step_size=D("0.01"),
            min_qty=D("0.01"),
            max_qty=D("100000"),
            market_max_qty=D("2000"),
            min_notional=D("5"),
            contract_size=None,
            brackets=_BNB_USDM,
            liquidation_fee=D("0.015000"),
            onboard_date=1570131000000,
            sub_type=("CEX-BNB-Chain",),
            default_mark=D("600"),
            **_USDM_FEES,
        ),
        SymbolSpec(
            symbol="BTCUSD_PERP",
            pair="BTCUSD",
            venue="coinm",
            base_asset="BTC",
            quote_asset="USD",
            margin_asset="BTC",
            price_precision=1,
            quantity_precision=0,
            tick_size=D("0.1"),
            min_price=D("1000"),
            max_price=D("4520958"),
            step_size=D("1"),
            min_qty=D("1"),
            max_qty=D("1000000"),
            market_max_qty=D("60000"),
            min_notional=None,
            contract_size=100,
            brackets=_BTC_COINM,
            liquidation_fee=D("0.015000"),
            onboard_date=1597042800000,
            sub_type=("PoW",),
            default_mark=D("60000"),
            **_COINM_FEES,
        ),
        SymbolSpec(
            symbol="ETHUSD_PERP",
            pair="ETHUSD",
            venue="coinm",
            base_asset="ETH",
            quote_asset="USD",
            margin_asset="ETH",
            price_precision=2,
            quantity_precision=0,
            tick_size=D("0.01"),
            min_price=D("50"),
            max_price=D("306177"),
            step_size=D("1"),
            min_qty=D("1"),
            max_qty=D("1000000"),
            market_max_qty=D("10000"),
            min_notional=None,
            contract_size=10,
            brackets=_ETH_COINM,
            liquidation_fee=D("0.015000"),
            onboard_date=1597734000000,
            sub_type=("Layer-1",),
            default_mark=D("3000"),
            **_COINM_FEES,
        ),
        SymbolSpec(
            symbol="BNBUSD_PERP",
            pair="BNBUSD",
            venue="coinm",
            base_asset="BNB",
            quote_asset="USD",
            margin_asset="BNB",
            price_precision=3,
            quantity_precision=0,
            tick_size=D("0.010"),
            min_price=D("6.600"),
            max_price=D("100000"),
            step_size=D("1"),
            min_qty=D("1"),
            max_qty=D("1000000"),
            market_max_qty=D("10000"),
            min_notional=None,
            contract_size=10,
            brackets=_BNB_COINM,
            liquidation_fee=D("0.015000"),
            onboard_date=1601190000000,
            sub_type=("CEX-BNB-Chain",),
            default_mark=D("600"),
            **_COINM_FEES,
        ),
    ]
    return {spec.symbol: spec for spec in specs}


SPECS: dict[str, SymbolSpec] = default_specs()

# Multi-Assets Mode collateral: value = index × (1 − bidBuffer); liabilities use askBuffer.
COLLATERAL_BUFFERS: dict[str, Decimal] = {"BTC": D("0.05"), "ETH": D("0.05"), "BNB": D("0.05")}
# Stablecoins count 1:1 (Binance rates USDT and USDC at 99.99 %: a rounding at these sizes).
STABLE_ASSETS: tuple[str, ...] = ("USDT", "USDC")
USDM_ASSETS: tuple[str, ...] = (*STABLE_ASSETS, "BTC", "ETH", "BNB")
COINM_ASSETS: tuple[str, ...] = ("BTC", "ETH", "BNB")
FUNDING_INTERVAL_MS = 8 * 3600 * 1000
VENUES: tuple[Venue, ...] = ("usdm", "coinm")


def spec_for(symbol: str, venue: Venue) -> SymbolSpec | None:
    spec = SPECS.get(symbol)
    return spec if spec is not None and spec.venue == venue else None


def venue_symbols(venue: Venue) -> list[SymbolSpec]:
    return [s for s in SPECS.values() if s.venue == venue]

"""Contract specs and helpers shared by the exchange tests."""

from __future__ import annotations

from decimal import Decimal

from bot.core.model import ContractSpec, MarginType, OrderIntent, Side, Venue
from bot.exchange.base import AccountSetup, SymbolSetup

BNBUSDT = ContractSpec(
    symbol="BNBUSDT",
    underlying="BNB",
    venue=Venue.USDM,
    inverse=False,
    contract_size=Decimal(1),
    margin_asset="USDT",
    step_size=Decimal("0.01"),
    tick_size=Decimal("0.01"),
    min_qty=Decimal("0.01"),
    max_qty=Decimal("1000"),
    min_notional=Decimal("5"),
)
BNBUSD_PERP = ContractSpec(
    symbol="BNBUSD_PERP",
    underlying="BNB",
    venue=Venue.COINM,
    inverse=True,
    contract_size=Decimal(10),
    margin_asset="BNB",
    step_size=Decimal(1),
    tick_size=Decimal("0.001"),
    min_qty=Decimal(1),
    max_qty=Decimal("10000"),
)
SPECS = {s.symbol: s for s in (BNBUSDT, BNBUSD_PERP)}
# Both BNB contracts margined in BNB: Multi-Assets Mode on USD-M, the coin wallet on COIN-M.
BNB_SETUP = AccountSetup(
    symbols=(
        SymbolSetup(symbol="BNBUSDT", leverage=5, margin_type=MarginType.CROSS),
        SymbolSetup(symbol="BNBUSD_PERP", leverage=3, margin_type=MarginType.CROSS),
    ),
    multi_assets_margin=True,
    usdm_margin_asset="BNB",
    coinm_margin_asset="BNB",
)


def intent(
    symbol: str, side: Side, quantity: str, cid: str, *, reduce_only: bool = False
) -> OrderIntent:
    return OrderIntent(
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        reduce_only=reduce_only,
        client_order_id=cid,
        reason="test",
    )

"""Account data: symbolConfig, positionRisk and balance rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, HedgePosition, MarginBalance, MarginType, Venue
from bot.exchange.binance.schemas.common import Json, WireFormatError, dec, parse_margin_type, text


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolConfig:
    """USD-M ``symbolConfig`` row: where v3 keeps leverage and margin type."""

    symbol: str  # symbol
    margin_type: MarginType  # marginType "CROSSED" | "ISOLATED"
    leverage: int  # leverage (int; ccxt fixtures show a string)

    @classmethod
    def from_json(cls, raw: Json) -> SymbolConfig:
        return cls(
            symbol=text(raw, "symbol"),
            margin_type=parse_margin_type(text(raw, "marginType")),
            leverage=int(dec(raw, "leverage")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionRisk:
    """``positionRisk`` row (USD-M v3 or COIN-M v1)."""

    symbol: str  # symbol
    position_side: str  # positionSide: BOTH in one-way mode, LONG/SHORT in hedge mode
    position_amt: Decimal  # positionAmt: signed; base units (USD-M) or contracts (COIN-M)
    entry_price: Decimal  # entryPrice
    mark_price: Decimal  # markPrice
    unrealized_profit: Decimal  # unRealizedProfit, in the margin asset
    liquidation_price: Decimal  # liquidationPrice ("0" when none)
    isolated_margin: Decimal  # isolatedMargin
    leverage: int | None  # leverage: COIN-M and v2 only
    margin_type: MarginType | None  # marginType: COIN-M and v2 only

    @classmethod
    def from_json(cls, raw: Json) -> PositionRisk:
        leverage = raw.get("leverage")
        margin_type = raw.get("marginType")
        return cls(
            symbol=text(raw, "symbol"),
            position_side=text(raw, "positionSide", "BOTH"),
            position_amt=dec(raw, "positionAmt"),
            entry_price=dec(raw, "entryPrice", ZERO),
            mark_price=dec(raw, "markPrice", ZERO),
            unrealized_profit=dec(raw, "unRealizedProfit", ZERO),
            liquidation_price=dec(raw, "liquidationPrice", ZERO),
            isolated_margin=dec(raw, "isolatedMargin", ZERO),
            leverage=None if leverage in (None, "") else int(Decimal(str(leverage))),
            margin_type=None if not margin_type else parse_margin_type(str(margin_type)),
        )

    def to_hedge_position(self, config: SymbolConfig | None = None) -> HedgePosition:
        leverage = config.leverage if config else self.leverage
        margin_type = config.margin_type if config else self.margin_type
        if leverage is None or margin_type is None:
            raise WireFormatError(f"{self.symbol}: no leverage/marginType (v3 needs symbolConfig)")
        return HedgePosition(
            symbol=self.symbol,
            quantity=self.position_amt,
            entry_price=self.entry_price,
            mark_price=self.mark_price,
            unrealized_pnl=self.unrealized_profit,
            leverage=leverage,
            margin_type=margin_type,
            liquidation_price=self.liquidation_price if self.liquidation_price > 0 else None,
            isolated_margin=self.isolated_margin,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """``balance`` row (USD-M v3 or COIN-M v1)."""

    asset: str  # asset
    balance: Decimal  # balance: the wallet balance
    cross_wallet_balance: Decimal  # crossWalletBalance
    available_balance: Decimal  # availableBalance (per-asset units, even in Multi-Assets Mode)

    @classmethod
    def from_json(cls, raw: Json) -> Balance:
        return cls(
            asset=text(raw, "asset"),
            balance=dec(raw, "balance"),
            cross_wallet_balance=dec(raw, "crossWalletBalance", ZERO),
            available_balance=dec(raw, "availableBalance", ZERO),
        )

    def to_margin_balance(self, venue: Venue, usd_per_unit: Decimal) -> MarginBalance:
        return MarginBalance(
            asset=self.asset,
            wallet_balance=self.balance,
            available_balance=self.available_balance,
            usd_value=self.balance * usd_per_unit,
            venue=venue,
        )

"""Market data: exchangeInfo symbols, premiumIndex rows and fundingRate history rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ONE, ZERO, ContractSpec, Venue
from bot.exchange.binance.schemas.common import Json, WireFormatError, dec, text


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolInfo:
    """One ``exchangeInfo.symbols[]`` row."""

    symbol: str  # symbol
    base_asset: str  # baseAsset
    margin_asset: str  # marginAsset
    status: str  # status (USD-M) / contractStatus (COIN-M)
    contract_size: Decimal  # contractSize: USD per contract on COIN-M; absent on USD-M
    filters: tuple[Json, ...]  # filters[], one object per filterType (docs examples merge them)

    @classmethod
    def from_json(cls, raw: Json) -> SymbolInfo:
        return cls(
            symbol=text(raw, "symbol"),
            base_asset=text(raw, "baseAsset"),
            margin_asset=text(raw, "marginAsset"),
            status=text(raw, "status", "") or text(raw, "contractStatus", ""),
            contract_size=dec(raw, "contractSize", ONE),
            filters=tuple(f for f in raw.get("filters", ()) if isinstance(f, Mapping)),
        )

    def _values(self, key: str, preferred: tuple[str, ...]) -> list[Decimal]:
        chosen = [f for f in self.filters if f.get("filterType") in preferred and key in f]
        if not chosen:  # abbreviated docs example: every field merged into one filter object
            chosen = [f for f in self.filters if key in f]
        return [dec(f, key) for f in chosen]

    def to_contract_spec(
        self, venue: Venue, maint_margin_rate: Decimal | None = None
    ) -> ContractSpec:
        lots = ("LOT_SIZE", "MARKET_LOT_SIZE")  # a MARKET order must satisfy both
        steps, mins, maxes = (self._values(k, lots) for k in ("stepSize", "minQty", "maxQty"))
        ticks = self._values("tickSize", ("PRICE_FILTER",))
        notionals = self._values("notional", ("MIN_NOTIONAL",))
        if not steps or not ticks or not mins or not maxes:
            raise WireFormatError(f"{self.symbol}: exchangeInfo lacks LOT_SIZE or PRICE_FILTER")
        inverse = venue is Venue.COINM
        extra = {} if maint_margin_rate is None else {"maint_margin_rate": maint_margin_rate}
        return ContractSpec(
            symbol=self.symbol,
            underlying=self.base_asset,
            venue=venue,
            inverse=inverse,
            contract_size=self.contract_size if inverse else ONE,
            margin_asset=self.margin_asset,
            step_size=max(steps),
            tick_size=max(ticks),
            min_qty=max(mins),
            max_qty=min(maxes),
            min_notional=max(notionals) if notionals and not inverse else ZERO,
            **extra,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumIndex:
    """``premiumIndex`` row: mark price and the funding rate that applies next."""

    symbol: str  # symbol
    mark_price: Decimal  # markPrice
    index_price: Decimal  # indexPrice
    last_funding_rate: Decimal  # lastFundingRate ("" on delivery contracts)
    next_funding_time_ms: int  # nextFundingTime

    @classmethod
    def from_json(cls, raw: Json) -> PremiumIndex:
        return cls(
            symbol=text(raw, "symbol"),
            mark_price=dec(raw, "markPrice"),
            index_price=dec(raw, "indexPrice", ZERO),
            last_funding_rate=dec(raw, "lastFundingRate", ZERO),
            next_funding_time_ms=int(raw.get("nextFundingTime") or 0),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingRateRow:
    """``fundingRate`` history row: one settled funding time (``fundingTime`` may be a few ms
    past the hour) with the rate and the mark the venue settled at."""

    symbol: str  # symbol
    funding_time_ms: int  # fundingTime
    rate: Decimal  # fundingRate
    mark: Decimal  # markPrice ("" on old rows: then 0, and the caller must not settle on it)

    @classmethod
    def from_json(cls, raw: Json) -> FundingRateRow:
        return cls(
            symbol=text(raw, "symbol"),
            funding_time_ms=int(raw.get("fundingTime") or 0),
            rate=dec(raw, "fundingRate"),
            mark=dec(raw, "markPrice", ZERO),
        )

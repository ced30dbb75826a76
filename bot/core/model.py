"""Value types that the pipeline's stages hand to each other.

chain reader -> PositionSnapshot -> Exposure -> HedgeTarget -> OrderIntent -> OrderReport

Every type is frozen and keyword-only; money and quantities are ``Decimal``.
Sign conventions:
- token amounts (``collateral``, ``debt``) are non-negative, in whole token units;
- prices are USD per whole token (Aave's base currency, 8 decimals, is USD);
- hedge quantities are signed: negative means short;
- a ``HedgeTarget.short_usd`` is the USD notional of short exposure wanted (positive = short).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

# Token amounts carry up to 18 decimals and 1e12 whole units; 28 digits (Python's default)
# silently rounds such products, which would break the exact Aave model.
decimal.getcontext().prec = 60

# Exchange assets worth one US dollar: margin, never a price exposure.
STABLECOIN_ASSETS = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "USD"})

ZERO = Decimal(0)
ONE = Decimal(1)
INFINITE_HF = Decimal("Infinity")


class Venue(StrEnum):
    """Which Binance Futures API a contract trades on."""

    USDM = "usdm"  # linear, quantity in base units, PnL in the quote asset
    COINM = "coinm"  # inverse, quantity in contracts of contract_size USD, PnL in the coin


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class MarginType(StrEnum):
    CROSS = "CROSSED"
    ISOLATED = "ISOLATED"


class NoteKind(StrEnum):
    """What a ``PlanNote`` says, so decisions never match message text."""

    INFO = "info"
    BAND = "band"  # inside the band: no order
    CAP = "cap"  # a notional or quantity cap bound the target
    SHRINK = "shrink"  # reduced to what the margin supports
    DROP = "drop"  # under the venue's minimum: not sent
    TOP_UP = "top_up"  # margin wanted before the hedge can grow (``amount_usd``)
    LIQ_DISTANCE = "liq_distance"  # the short is closer to its liquidation than the floor
    LONG_BLOCKED = "long_blocked"
    LEVERAGE = "leverage"
    BREAKER_CUT = "breaker_cut"  # an increase cut to fit a breaker: built over cycles
    BREAKER_HELD = "breaker_held"  # an intent a breaker did not let through


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    NOT_FOUND = "NOT_FOUND"  # looked up by client order id and the venue has no such order


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyShares:
    """A supply held as interest-bearing shares (Compound-style vTokens) rather than as a
    balance that grows by itself (Aave aTokens). The protocol values the shares, not the
    underlying amount, so its exact arithmetic needs both integers."""

    shares: int  # raw share units (the vToken balance; vTokens have 8 decimals)
    exchange_rate: int  # underlying raw units per raw share, x 1e18 (exchangeRateStored)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetPosition:
    """One reserve (market) of a lending position, as read at one block."""

    symbol: str
    address: str
    decimals: int
    collateral: Decimal  # whole tokens supplied (aToken balance)
    debt: Decimal  # whole tokens owed (variable + stable debt)
    price_usd: Decimal  # oracle price, USD per whole token (Aave: /1e8; Venus: /1e(36-decimals))
    liquidation_threshold: Decimal  # fraction (0.78 = 78 %); the eMode value when it applies
    collateral_enabled: bool = True
    ltv: Decimal = ZERO  # fraction
    liquidation_bonus: Decimal = ZERO  # fraction paid to liquidators on top (0.05 = 5 %)
    # Venus: the vTokens behind ``collateral`` (then collateral = shares x rate, floored).
    supply_shares: SupplyShares | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionSnapshot:
    """A wallet's lending position, every value from the same block."""

    protocol: str  # "aave-v3", "venus-core": selects the exact model (bot.core.account_model)
    chain_id: int
    wallet: str
    block_number: int
    block_timestamp: int  # unix seconds of that block
    assets: tuple[AssetPosition, ...]
    emode_category: int = 0
    # getUserAccountData().healthFactor as the chain reported it (WAD integer), for cross-checks.
    reported_health_factor_wad: int | None = None
    stale_reason: str | None = None  # set by the reader's guard: never trade on a stale snapshot
    # Pool.POOL_REVISION(): which GenericLogic rounds the HF (v3.5+ rounds debt up); None = v3.0.
    pool_revision: int | None = None

    @property
    def is_stale(self) -> bool:
        return self.stale_reason is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenMapping:
    """How a lending token maps to a hedgeable underlying ("WBTC" -> "BTC", beta 1)."""

    token: str
    underlying: str  # "BTC", "ETH", "BNB"; "USD" for stablecoins (never hedged)
    beta: Decimal = ONE


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractSpec:
    """What the sizing code needs to know about one futures contract. Differences between
    linear and inverse contracts live here as data, not as branches at call sites."""

    symbol: str  # "BTCUSDT", "BNBUSD_PERP"
    underlying: str  # "BTC"
    venue: Venue
    inverse: bool  # COIN-M: quantity in contracts of contract_size USD
    contract_size: Decimal  # USD per contract for inverse; 1 (base unit) for linear
    margin_asset: str  # "USDT", "BNB", ...
    step_size: Decimal  # LOT_SIZE / MARKET_LOT_SIZE step, in quantity units
    tick_size: Decimal
    min_qty: Decimal
    max_qty: Decimal  # MARKET_LOT_SIZE maxQty for market orders
    min_notional: Decimal = ZERO  # USD (USD-M MIN_NOTIONAL); 0 for COIN-M
    maint_margin_rate: Decimal = Decimal("0.004")  # first bracket, for liquidation estimates


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgePosition:
    """An open futures position, venue-neutral (no ``positionAmt`` here)."""

    symbol: str
    quantity: Decimal  # signed; base units (linear) or contracts (inverse); negative = short
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal  # in the margin asset (USDT for USD-M, coin for COIN-M)
    leverage: int
    margin_type: MarginType
    liquidation_price: Decimal | None
    isolated_margin: Decimal = ZERO  # margin asset units, for isolated positions


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginBalance:
    """One asset in the futures wallet."""

    asset: str
    wallet_balance: Decimal
    available_balance: Decimal
    usd_value: Decimal  # after the Multi-Assets haircut where it applies
    venue: Venue


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """USD delta per underlying: positive = long exposure the hedge should offset."""

    underlying: str
    defi_delta_usd: Decimal  # from the lending position, beta-weighted
    margin_delta_usd: Decimal  # non-stable margin held on the exchange (BNB)
    hedge_delta_usd: Decimal  # from the existing futures positions (negative when short)

    @property
    def unhedged_delta_usd(self) -> Decimal:
        return self.defi_delta_usd + self.margin_delta_usd

    @property
    def net_delta_usd(self) -> Decimal:
        return self.defi_delta_usd + self.margin_delta_usd + self.hedge_delta_usd


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeTarget:
    """What a policy wants, with the numbers that drove it."""

    underlying: str
    short_usd: Decimal  # wanted short notional in USD (>= 0 unless allow_long)
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderIntent:
    """One order the plan wants placed. The executor places and journals it."""

    symbol: str
    side: Side
    quantity: Decimal  # positive; base units (linear) or contracts (inverse)
    reduce_only: bool
    client_order_id: str  # deterministic; <= 36 chars of [A-Za-z0-9_-]
    reason: str
    order_type: str = "MARKET"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReport:
    """The venue's word on one order."""

    symbol: str
    client_order_id: str
    status: OrderStatus
    exchange_order_id: int | None = None
    side: Side | None = None
    quantity: Decimal = ZERO  # ordered
    executed_quantity: Decimal = ZERO
    average_price: Decimal = ZERO
    fee: Decimal = ZERO
    fee_asset: str = ""
    # False: the venue reported a fill but not its fee yet (Binance has fees only in the trade
    # list); the daemon settles them later, several orders per request.
    fee_known: bool = True
    reduce_only: bool = False
    error_code: int | None = None  # Binance's code when rejected
    error_message: str = ""
    update_time_ms: int = 0
    paper: bool = False  # True when the paper exchange (dry-run) produced it: nothing traded


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFee:
    """What one order's fills paid in commission."""

    exchange_order_id: int
    fee: Decimal
    fee_asset: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanNote:
    """Something the planner decided not to do, or had to change, and why."""

    symbol: str
    message: str
    kind: NoteKind = NoteKind.INFO  # the USD amount below is a top-up's size
    amount_usd: Decimal = ZERO


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalancePlan:
    intents: tuple[OrderIntent, ...] = ()
    notes: tuple[PlanNote, ...] = field(default_factory=tuple)

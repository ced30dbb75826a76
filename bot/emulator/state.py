"""Mutable emulator state (pydantic models so the whole tree round-trips through JSON)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from bot.emulator.markets import SPECS, Venue
from bot.emulator.wallet_state import ChainCursor, Deposit, Transfer, Withdrawal

DEFAULT_API_KEY = "hedgebotEmulatorKey0000000000000000000000000000000000000000000001"
# Public, documented credentials of the local emulator (never valid on Binance).
DEFAULT_API_SECRET = "hedgebotEmulatorSecret00000000000000000000000000000000000000001"  # noqa: S105
DEFAULT_FUNDING_RATE = Decimal("0.0001")
DEFAULT_INTEREST_RATE = Decimal("0.0001")
STATE_VERSION = 1


class MarketState(BaseModel):
    mark: Decimal
    index: Decimal
    last: Decimal
    funding_rate: Decimal = DEFAULT_FUNDING_RATE
    interest_rate: Decimal = DEFAULT_INTEREST_RATE


class FundingRecord(BaseModel):
    symbol: str
    funding_time: int
    funding_rate: Decimal
    mark: Decimal


class Position(BaseModel):
    symbol: str
    position_side: str
    amt: Decimal = Decimal(0)
    entry: Decimal = Decimal(0)
    isolated_wallet: Decimal = Decimal(0)
    update_time: int = 0


class Order(BaseModel):
    order_id: int
    client_order_id: str
    symbol: str
    side: str
    position_side: str
    type: str
    orig_type: str
    time_in_force: str
    price: Decimal
    stop_price: Decimal = Decimal(0)
    orig_qty: Decimal
    executed_qty: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)  # USD-M: quote (USDT); COIN-M: base (coin)
    avg_price: Decimal = Decimal(0)
    status: str = "NEW"
    reduce_only: bool = False
    close_position: bool = False
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    time: int
    update_time: int


class AlgoOrder(BaseModel):
    algo_id: int
    client_algo_id: str
    symbol: str
    side: str
    position_side: str
    order_type: str
    time_in_force: str
    quantity: Decimal
    trigger_price: Decimal
    price: Decimal
    working_type: str
    close_position: bool
    price_protect: bool
    reduce_only: bool
    status: str = "NEW"
    create_time: int
    update_time: int
    trigger_time: int = 0
    actual_order_id: int | None = None
    actual_price: Decimal = Decimal(0)


class Trade(BaseModel):
    id: int
    order_id: int
    symbol: str
    side: str
    position_side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    base_qty: Decimal
    realized_pnl: Decimal
    commission: Decimal
    commission_asset: str
    margin_asset: str
    maker: bool
    time: int


class Income(BaseModel):
    tran_id: int
    symbol: str
    income_type: str
    income: Decimal
    asset: str
    info: str
    time: int
    trade_id: str = ""


class MarginCallPosition(BaseModel):
    """One position of a ``MARGIN_CALL`` as it stood when the call was made."""

    symbol: str
    position_side: str
    amt: Decimal
    margin_type: str  # "CROSSED" | "ISOLATED", as the event spells it
    isolated_wallet: Decimal
    mark: Decimal
    upnl: Decimal
    maint: Decimal


class MarginCall(BaseModel):
    time: int
    cross_wallet: Decimal | None  # only for a cross pool's call
    positions: list[MarginCallPosition]


class VenueAccount(BaseModel):
    wallets: dict[str, Decimal] = Field(default_factory=dict)
    positions: dict[str, Position] = Field(default_factory=dict)  # key "SYMBOL:SIDE"
    orders: dict[int, Order] = Field(default_factory=dict)
    algo_orders: dict[int, AlgoOrder] = Field(default_factory=dict)
    trades: list[Trade] = Field(default_factory=list)
    income: list[Income] = Field(default_factory=list)
    leverage: dict[str, int] = Field(default_factory=dict)
    isolated: dict[str, bool] = Field(default_factory=dict)
    update_time: int = 0
    margin_calls: list[MarginCall] = Field(default_factory=list)  # append-only, like income
    # cross pools ("USD", a coin) and isolated positions ("SYMBOL:SIDE") called and not yet
    # back under the level: one call per crossing
    margin_called: list[str] = Field(default_factory=list)


class Account(BaseModel):
    api_key: str
    api_secret: str
    dual_side: bool = False  # shared by USD-M and COIN-M since the CM migration
    multi_assets: bool = False
    usdm: VenueAccount = Field(default_factory=VenueAccount)
    coinm: VenueAccount = Field(default_factory=VenueAccount)
    spot: dict[str, Decimal] = Field(default_factory=dict)  # free balances; none are locked
    spot_update_time: int = 0
    transfers: list[Transfer] = Field(default_factory=list)
    withdrawals: list[Withdrawal] = Field(default_factory=list)
    deposits: list[Deposit] = Field(default_factory=list)

    def venue(self, venue: Venue) -> VenueAccount:
        return self.usdm if venue == "usdm" else self.coinm


class EmulatorState(BaseModel):
    version: int = STATE_VERSION
    markets: dict[str, MarketState] = Field(default_factory=dict)
    accounts: dict[str, Account] = Field(default_factory=dict)
    clock_offset_ms: int = 0
    funding_checked_ms: int = 0
    funding_history: list[FundingRecord] = Field(default_factory=list)
    next_id: int = 1_000_000
    chain_cursor: ChainCursor | None = None


DEFAULT_BALANCES: dict[Venue, dict[str, Decimal]] = {
    "usdm": {"USDT": Decimal("10000")},
    "coinm": {"BNB": Decimal("10")},
}


def new_account(api_key: str, api_secret: str) -> Account:
    account = Account(api_key=api_key, api_secret=api_secret)
    for venue, balances in DEFAULT_BALANCES.items():
        account.venue(venue).wallets.update(balances)
    return account


def initial_state(api_keys: list[tuple[str, str]], now_ms: int) -> EmulatorState:
    state = EmulatorState(funding_checked_ms=now_ms)
    for spec in SPECS.values():
        mark = spec.default_mark
        state.markets[spec.symbol] = MarketState(mark=mark, index=mark, last=mark)
    for key, secret in [(DEFAULT_API_KEY, DEFAULT_API_SECRET), *api_keys]:
        state.accounts[key] = new_account(key, secret)
    return state

"""The capital policy's values: what it reads (``CapitalView``), the limits it keeps
(``CapitalRules``) and what it decides (``MoneyMove``).

Money moves between the Binance account and the on-chain reserve wallet in one dollar
stablecoin on one network (``CoinNetwork``). Amounts of that coin are whole coins and are
counted 1:1 with USD, as the rest of the core counts exchange stablecoins (``STABLECOIN_ASSETS``);
the coin is checked to be one of them. Every value is checked on construction: a negative
balance or a zero step is a reader bug, and money must not move on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.core.model import STABLECOIN_ASSETS

__all__ = [
    "AlertReason",
    "CapitalRules",
    "CapitalView",
    "CoinNetwork",
    "Direction",
    "MoneyMove",
    "PendingTransfer",
    "Verdict",
]


class Direction(StrEnum):
    WITHDRAW = "withdraw"  # exchange -> reserve wallet: hedge profit refills the reserve
    DEPOSIT = "deposit"  # reserve wallet -> exchange: margin for a short near its liquidation


def _at_least_zero(owner: str, values: dict[str, Decimal]) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{owner}.{name} must be >= 0 (got {value})")


def _above_zero(owner: str, values: dict[str, Decimal]) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{owner}.{name} must be > 0 (got {value})")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoinNetwork:
    """One coin on one network, with Binance's rules for it (``capital/config/getall``)."""

    coin: str  # "USDT"
    network: str  # "BSC"
    withdraw_fee: Decimal  # withdrawFee, taken from the amount: the recipient gets amount - fee
    withdraw_min: Decimal  # withdrawMin
    withdraw_max: Decimal  # withdrawMax
    withdraw_multiple: Decimal  # withdrawIntegerMultiple (a reader maps "0" to the coin's unit)
    deposit_min: Decimal  # depositDust: a smaller deposit is never credited
    withdraw_enabled: bool = True  # withdrawEnable: Binance suspends networks at times
    deposit_enabled: bool = True  # depositEnable

    def __post_init__(self) -> None:
        if self.coin not in STABLECOIN_ASSETS:
            raise ValueError(
                f"capital moves only dollar stablecoins ({', '.join(sorted(STABLECOIN_ASSETS))}),"
                f" not {self.coin!r}: amounts are counted 1:1 with USD"
            )
        _at_least_zero(
            "network",
            {
                "withdraw_fee": self.withdraw_fee,
                "withdraw_min": self.withdraw_min,
                "deposit_min": self.deposit_min,
            },
        )
        _above_zero(
            "network",
            {"withdraw_max": self.withdraw_max, "withdraw_multiple": self.withdraw_multiple},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingTransfer:
    """A transfer sent but not settled: a withdrawal Binance has not completed, or a deposit
    not credited yet (``minConfirm`` confirmations)."""

    direction: Direction
    amount: Decimal  # whole coins sent
    started_ms: int  # unix ms it was sent


@dataclass(frozen=True, slots=True, kw_only=True)
class CapitalView:
    """What the caller read, all at about ``read_ms``. No field has a default: a reader that
    forgets one must fail to build the view, not move money on a guess.

    ``margin_needed_usd`` is what must stay on the exchange; it should keep every short at
    ``CapitalRules.short_restore_distance`` or more, so that a withdrawal never sets up the
    next deposit. ``margin_to_restore_usd`` is the margin that would bring the nearest short
    back to ``short_restore_distance`` (see ``capital.margin_to_restore_usd``), net of any free
    margin the exchange can move to it internally. ``withdrawn_today_usd`` and
    ``deposited_today_usd`` sum the transfers sent in the 24 hours before now (withdrawals
    gross, fee included), pending ones too.
    """

    read_ms: int  # unix ms of the oldest reading in this view
    reserve_usd: Decimal  # every reserve stablecoin in the reserve wallet
    coin_held: Decimal  # the part of it in ``network.coin``: the most a deposit can send
    reserve_target_usd: Decimal  # what the reserve should hold (config)
    reserve_floor_usd: Decimal  # what the guard needs for its configured crash: never deposited
    movable_usd: Decimal  # the exchange's maxWithdrawAmount of the coin
    margin_needed_usd: Decimal  # margin the hedge must keep on the exchange
    unrealized_pnl_usd: Decimal  # the hedges' unrealised PnL (profit cannot be withdrawn)
    short_liq_distance: Decimal | None  # nearest short's liquidation, fraction of mark; None: none
    margin_to_restore_usd: Decimal
    in_flight: PendingTransfer | None
    withdrawn_today_usd: Decimal
    deposited_today_usd: Decimal
    can_move: bool  # False on a venue without a wallet API (the testnet, the demo)
    network: CoinNetwork

    def __post_init__(self) -> None:
        _at_least_zero(
            "capital view",
            {
                "reserve_usd": self.reserve_usd,
                "coin_held": self.coin_held,
                "reserve_target_usd": self.reserve_target_usd,
                "reserve_floor_usd": self.reserve_floor_usd,
                "movable_usd": self.movable_usd,
                "margin_needed_usd": self.margin_needed_usd,
                "margin_to_restore_usd": self.margin_to_restore_usd,
                "withdrawn_today_usd": self.withdrawn_today_usd,
                "deposited_today_usd": self.deposited_today_usd,
            },
        )
        if self.coin_held > self.reserve_usd:
            raise ValueError(
                f"capital view: {self.coin_held} {self.network.coin} held is more than the "
                f"whole reserve {self.reserve_usd} USD"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class CapitalRules:
    """The ``capital:`` limits. Caps count per direction, so a refill earlier in the day never
    blocks the margin a short needs in a rally, and each direction's day cap bounds what it
    can drain: the exchange margin (withdrawals) or the reserve (deposits)."""

    enabled: bool = True  # False: report what would move (as an alert), move nothing
    # Deposit when the nearest short's liquidation is closer than this (fraction of the mark);
    # the caller sizes the deposit back to short_restore_distance: the gap is the hysteresis.
    short_floor: Decimal = Decimal("0.20")
    short_restore_distance: Decimal = Decimal("0.30")  # PlanRules.min_short_liq_distance
    # Withdraw only when the reserve is under its target by more than this; refill to target.
    refill_band_usd: Decimal = Decimal(500)
    min_transfer_usd: Decimal = Decimal(100)  # never move less, either way
    max_withdraw_per_transfer_usd: Decimal = Decimal(25_000)  # gross, fee included
    max_withdraw_per_day_usd: Decimal = Decimal(50_000)
    max_deposit_per_transfer_usd: Decimal = Decimal(25_000)
    max_deposit_per_day_usd: Decimal = Decimal(50_000)
    max_view_age_secs: int = 120  # older readings move nothing
    in_flight_alert_after_secs: int = 3600  # a transfer unsettled this long is worth an alert

    def __post_init__(self) -> None:
        if not 0 < self.short_floor < self.short_restore_distance < 1:
            raise ValueError(
                f"capital: need 0 < short_floor ({self.short_floor}) < short_restore_distance "
                f"({self.short_restore_distance}) < 1"
            )
        _at_least_zero(
            "capital",
            {"refill_band_usd": self.refill_band_usd, "min_transfer_usd": self.min_transfer_usd},
        )
        _above_zero(
            "capital",
            {
                "max_withdraw_per_transfer_usd": self.max_withdraw_per_transfer_usd,
                "max_withdraw_per_day_usd": self.max_withdraw_per_day_usd,
                "max_deposit_per_transfer_usd": self.max_deposit_per_transfer_usd,
                "max_deposit_per_day_usd": self.max_deposit_per_day_usd,
                "max_view_age_secs": Decimal(self.max_view_age_secs),
                "in_flight_alert_after_secs": Decimal(self.in_flight_alert_after_secs),
            },
        )


class Verdict(StrEnum):
    MOVE = "move"  # send the transfer described
    HOLD = "hold"  # nothing to move
    ALERT = "alert"  # a transfer is wanted (or stuck) and is not being made: tell the operator


class AlertReason(StrEnum):
    """Why an alert moves nothing, so callers never match message text."""

    DISABLED = "disabled"  # capital.enabled is off
    NO_WALLET_API = "no_wallet_api"  # the venue cannot move money (the testnet)
    NETWORK_SUSPENDED = "network_suspended"  # Binance closed the coin's network that way
    IN_FLIGHT_OVERDUE = "in_flight_overdue"  # a transfer has not settled in the expected time
    RESERVE_AT_FLOOR = "reserve_at_floor"  # nothing above the floor the guard needs
    NO_COIN_HELD = "no_coin_held"  # the reserve wallet holds none of the network's coin
    NOTHING_WITHDRAWABLE = "nothing_withdrawable"  # movable <= needed (profit unrealised)
    DAY_CAP_USED = "day_cap_used"
    UNDER_COIN_MINIMUM = "under_coin_minimum"  # withdrawMin, or depositDust
    NOT_ABOVE_FEE = "not_above_fee"
    UNDER_MIN_TRANSFER = "under_min_transfer"  # capital.min_transfer_usd
    # Set by the daemon, not the policy: where a deposit would go is not known or not trusted.
    NO_DEPOSIT_ADDRESS = "no_deposit_address"  # capital.deposit_address is not configured
    DEPOSIT_ADDRESS_CHANGED = "deposit_address_changed"  # the venue reports another address


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyMove:
    """One decision. Amounts are whole coins of ``coin`` (a dollar stablecoin, 1:1 USD)."""

    verdict: Verdict
    direction: Direction | None  # MOVE: the transfer; ALERT: the one wanted or stuck; HOLD: None
    coin: str
    network: str
    wanted: Decimal  # what would meet the whole need (a withdrawal: the gap plus the fee)
    # Sent (MOVE) or that would be sent (ALERT), after limits and rounding; for an overdue
    # transfer in flight, what that transfer sent (its fee and receipt are not known here: 0).
    amount: Decimal
    fee: Decimal  # the withdrawal fee, taken from amount; 0 for a deposit
    received: Decimal  # amount - fee (0 when amount <= fee): what reaches the other side
    shortfall_usd: Decimal  # the need this amount leaves open (an ALERT moves nothing at all)
    realise_first_usd: Decimal  # unrealised profit to realise so more becomes withdrawable
    limited_by: str | None  # the limit that cut the amount: "movable", "withdraw_max", a cap...
    alert_reason: AlertReason | None  # set exactly when verdict is ALERT
    message: str  # for the operator: what, how much, why

    @property
    def moves(self) -> bool:
        return self.verdict is Verdict.MOVE

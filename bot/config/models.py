"""The deployment configuration: one YAML file, validated by these frozen models.

Units live in field names (``interval_secs``, ``max_notional_usd``). Unknown keys are errors.
Secrets are never part of it: they come from the environment (see ``bot.config.secrets``).
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, get_args

from eth_utils.address import is_address, is_checksum_address, to_checksum_address
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AnyWebsocketUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.config.errors import looks_like_private_key
from bot.core.model import MarginType


class Strict(BaseModel):
    # allow_inf_nan=False: inf and nan are refused in every float and Decimal field.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RelationError(ValueError):
    """A rule between keys of one section; ``keys`` (dotted, relative to the section) let the
    loader point at the lines of the keys involved."""

    def __init__(self, message: str, *keys: str) -> None:
        super().__init__(message)
        self.keys = keys


class Network(StrEnum):
    TESTNET = "testnet"
    DEMO = "demo"
    MAINNET = "mainnet"
    CUSTOM = "custom"  # explicit base URLs, e.g. the local emulator


def _not_bool(value: object) -> object:
    # pydantic reads true/false as 1/0 for int and float fields: `leverage: yes` would be 1x.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _quoted_address(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            'an address must be a quoted string ("0x" and 40 hex digits), not a number'
        )
    return value


def _checksummed(value: str) -> str:
    if looks_like_private_key(value):
        # Never echoed: the message must not put the key in a log or a terminal's scrollback.
        raise ValueError(
            "looks like a private key, not an address: never put keys in the config "
            "(the wallet key comes from HEDGEBOT_WALLET_KEY)"
        )
    if not is_address(value):
        raise ValueError(
            f"is not an EVM address (0x followed by 40 hex digits; got {len(value)} characters)"
        )
    if int(value, 16) == 0:
        raise ValueError(
            "is the zero address 0x0000000000000000000000000000000000000000: no wallet or "
            "contract lives there (tokens sent to it are burnt)"
        )
    if value != value.lower() and not is_checksum_address(value):
        raise ValueError(
            f"{value!r} has a bad EIP-55 checksum (expected {to_checksum_address(value)})"
        )
    return to_checksum_address(value)


NotBool = BeforeValidator(_not_bool)
Int = Annotated[int, NotBool]
Float = Annotated[float, NotBool]
Dec = Annotated[Decimal, NotBool]
Address = Annotated[str, BeforeValidator(_quoted_address), AfterValidator(_checksummed)]

# A cap above a trillion dollars is a typo (1e12 for 1e6), not a limit.
MAX_USD = 10**12  # int, not Decimal: pydantic's message prints the bound as it is given
# A health factor above 10 is no trigger, target or alert level: a typo (15 for 1.5).
MAX_HF = 10
Fraction = Annotated[Decimal, NotBool, Field(ge=0, le=1)]
Usd = Annotated[Decimal, NotBool, Field(gt=0, le=MAX_USD)]
UsdOrZero = Annotated[Decimal, NotBool, Field(ge=0, le=MAX_USD)]
Amount = Annotated[Decimal, NotBool, Field(gt=0, le=MAX_USD)]  # units of a coin or token
HealthFactor = Annotated[Decimal, NotBool, Field(gt=1, le=MAX_HF)]
# BNB Chain runs at a few gwei, Ethereum mainnet rarely above a few hundred.
Gwei = Annotated[Decimal, NotBool, Field(gt=0, le=10_000)]
FeeRate = Annotated[Decimal, NotBool, Field(ge=0, le=0.1)]
Symbol = Annotated[str, StringConstraints(pattern=r"^\S{1,32}$")]  # a token: USDC, USDC.e, USD₮0
Underlying = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,10}$")]
FuturesSymbol = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,20}(_PERP|_[0-9]{6})?$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]


LendingProtocolName = Literal["aave-v3", "venus-core"]
# The one contract address each protocol's reader starts from, by the config key that holds it.
ENTRY_ADDRESS_KEY: dict[str, str] = {
    "aave-v3": "addresses_provider",  # PoolAddressesProvider: pool, oracle, data provider
    "venus-core": "comptroller",  # the core pool's Unitroller: markets, oracle, VAI controller
}


class PositionConfig(Strict):
    """A lending position to watch."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    protocol: LendingProtocolName = "aave-v3"
    chain_id: Int = Field(gt=0, le=2**53 - 1)  # larger ids do not survive JSON (EIP-2294)
    rpc_urls: list[AnyHttpUrl] = Field(min_length=1, max_length=16)
    addresses_provider: Address | None = None  # aave-v3
    comptroller: Address | None = None  # venus-core
    wallet: Address
    max_block_age_secs: Int = Field(default=60, gt=0, le=86_400)
    rpc_timeout_secs: Float = Field(default=5.0, gt=0, le=120)
    # newHeads sockets, in failover order. None: ws:// derived from loopback rpc_urls (anvil
    # serves both on one port), else none; an empty list: poll eth_blockNumber only.
    ws_urls: list[AnyWebsocketUrl] | None = Field(default=None, max_length=16)
    block_time_secs: Float | None = Field(default=None, gt=0, le=600)  # None: from chain_id
    # A socket silent this long while the chain moves on is replaced by polling (None: 3 blocks).
    head_stall_secs: Float | None = Field(default=None, gt=0, le=3600)

    @model_validator(mode="after")
    def _entry_address(self) -> PositionConfig:
        wanted = ENTRY_ADDRESS_KEY[self.protocol]
        if getattr(self, wanted) is None:
            raise RelationError(
                f"{wanted} is required for protocol {self.protocol} (the contract its reader "
                "starts from)",
                wanted,
                "protocol",
            )
        for key, protocol in ((k, p) for p, k in ENTRY_ADDRESS_KEY.items()):
            if key != wanted and getattr(self, key) is not None:
                raise RelationError(
                    f"{key} belongs to {protocol} positions; a {self.protocol} position "
                    f"names its {wanted} instead",
                    key,
                    "protocol",
                )
        return self

    @property
    def entry_address(self) -> str:
        """The protocol's entry contract (``addresses_provider`` or ``comptroller``)."""
        address: str | None = getattr(self, ENTRY_ADDRESS_KEY[self.protocol])
        assert address is not None  # the validator checked it
        return address


class TokenConfig(Strict):
    underlying: Underlying  # BTC, ETH, BNB; USD = never hedged
    beta: Dec = Field(default=Decimal(1), gt=0, le=5)


class RatioPolicyConfig(Strict):
    kind: Literal["ratio"]
    r: Fraction = Decimal("0.5")

    def largest_ratio(self, liquidation_threshold: Decimal) -> Decimal:
        """The largest short it wants, as a fraction of the collateral's value."""
        return self.r


class LossFractionPolicyConfig(Strict):
    kind: Literal["loss_fraction"]
    f: Fraction = Decimal("0.5")

    def largest_ratio(self, liquidation_threshold: Decimal) -> Decimal:
        return self.f * (1 - liquidation_threshold)


class HealthTargetPolicyConfig(Strict):
    kind: Literal["health_target"]
    target_hf: HealthFactor = Decimal("1.5")
    r_max: Fraction = Decimal(1)

    def largest_ratio(self, liquidation_threshold: Decimal) -> Decimal:
        return self.r_max


class LadderPolicyConfig(Strict):
    kind: Literal["ladder"]
    r_min: Fraction = Decimal("0.2")
    r_max: Fraction = Decimal("1")
    hf_high: HealthFactor = Decimal("2.0")
    hf_low: HealthFactor = Decimal("1.2")
    hysteresis: Dec = Field(default=Decimal("0.05"), ge=0, le=1)

    def largest_ratio(self, liquidation_threshold: Decimal) -> Decimal:
        return self.r_max

    @model_validator(mode="after")
    def _ordered(self) -> LadderPolicyConfig:
        if self.hf_low >= self.hf_high:
            raise RelationError(
                f"hf_low ({self.hf_low}) must be below hf_high ({self.hf_high})",
                "hf_low",
                "hf_high",
            )
        if self.r_min > self.r_max:
            raise RelationError(
                f"r_min ({self.r_min}) must not exceed r_max ({self.r_max})", "r_min", "r_max"
            )
        return self


class NoHedgePolicyConfig(Strict):
    kind: Literal["none"]

    def largest_ratio(self, liquidation_threshold: Decimal) -> Decimal:
        return Decimal(0)


PolicyConfig = Annotated[
    RatioPolicyConfig
    | LossFractionPolicyConfig
    | HealthTargetPolicyConfig
    | LadderPolicyConfig
    | NoHedgePolicyConfig,
    Field(discriminator="kind"),
]
POLICY_KINDS = tuple(
    get_args(cls.model_fields["kind"].annotation)[0]
    for cls in (
        RatioPolicyConfig,
        LossFractionPolicyConfig,
        HealthTargetPolicyConfig,
        LadderPolicyConfig,
        NoHedgePolicyConfig,
    )
)


class BandConfig(Strict):
    """No trade while |target - current| <= max(rel * target, abs_usd)."""

    # A band of 0 trades on every cent of drift: fees and the order cap burn through.
    rel: Dec = Field(default=Decimal("0.10"), gt=0, le=1)
    abs_usd: UsdOrZero = Decimal(50)


class CapsConfig(Strict):
    max_notional_per_symbol_usd: Usd = Decimal(50_000)
    max_total_notional_usd: Usd = Decimal(100_000)
    max_orders_per_hour: Int = Field(default=30, gt=0, le=10_000)
    max_notional_change_per_cycle_usd: Usd = Decimal(25_000)
    max_consecutive_failed_cycles: Int = Field(default=5, gt=0, le=1000)

    @model_validator(mode="after")
    def _symbol_within_total(self) -> CapsConfig:
        if self.max_notional_per_symbol_usd > self.max_total_notional_usd:
            raise RelationError(
                f"max_notional_per_symbol_usd ({self.max_notional_per_symbol_usd}) must not "
                f"exceed max_total_notional_usd ({self.max_total_notional_usd})",
                "max_notional_per_symbol_usd",
                "max_total_notional_usd",
            )
        return self


MAX_RECV_WINDOW_MS = 59_999


class StreamsConfig(Strict):
    """Marks, fills and positions by Binance's WebSocket streams (no request weight), REST as
    the fallback and the periodic check."""

    # On by default: the hedger then reacts to each block at zero request weight; off, every
    # cycle reads marks and the account over REST (and is not woken per block).
    enabled: bool = True
    # A streamed mark older than this is never used (REST answers): the stream's period is 1 s.
    mark_max_age_secs: Float = Field(default=3.0, gt=0, le=60)
    # REST re-reads positions and balances this often and corrects the stream state from it.
    account_check_secs: Float = Field(default=60.0, ge=5, le=3600)


class HedgeConfig(Strict):
    venue: Literal["usdm", "coinm"] = "usdm"
    margin_asset: Literal["USDT", "BNB", "BTC", "ETH"] = "USDT"
    symbols: dict[Underlying, FuturesSymbol] = Field(min_length=1, max_length=50)
    leverage: Int = Field(default=3, ge=1, le=125)  # Binance's maximum is 125x
    margin_type: MarginType = MarginType.CROSS
    # No hedge unless one is chosen: on the shipped 2020-2026 data every hedge tried cost more
    # than the reserve it could replace (`hedgebot backtest --rolling 90d --compare`).
    policy: PolicyConfig = Field(default_factory=lambda: NoHedgePolicyConfig(kind="none"))
    band: BandConfig = Field(default_factory=BandConfig)
    caps: CapsConfig = Field(default_factory=CapsConfig)
    min_short_liq_distance: Fraction = Decimal("0.30")
    allow_long: bool = False
    count_margin_as_exposure: bool = True
    use_shadow_hf: bool = True
    margin_safety_factor: Dec = Field(default=Decimal("1.5"), ge=1, le=10)
    # Bounds checked by _recv_window, which says the allowed range.
    recv_window_ms: Int = 5000
    # Re-read positions and balances at most this often (and after every own order): they only
    # change through hedgebot's orders, funding and fees. 0 = every cycle.
    account_refresh_secs: Float = Field(default=15.0, ge=0, le=300)
    # Read the fees of recent fills from the trade list this often (one request per symbol,
    # in a cycle that sends no order); Binance reports them nowhere else.
    fee_settle_interval_secs: Float = Field(default=60.0, ge=1, le=3600)
    on_unexplained_position: Literal["adopt", "refuse"] = "refuse"
    streams: StreamsConfig = Field(default_factory=StreamsConfig)

    @field_validator("margin_type", mode="before")
    @classmethod
    def _margin_type(cls, value: object) -> object:
        aliases = {"cross": "CROSSED", "crossed": "CROSSED", "isolated": "ISOLATED"}
        return aliases.get(str(value).lower(), value) if isinstance(value, str) else value

    @field_validator("recv_window_ms")
    @classmethod
    def _recv_window(cls, value: int) -> int:
        # Binance refuses a recvWindow of 60000 or more (-1131) and the client refuses to be
        # built with one (bot.exchange.binance.network.make_client).
        if not 1 <= value <= MAX_RECV_WINDOW_MS:
            raise ValueError(
                f"must be 1 to {MAX_RECV_WINDOW_MS} ms (Binance refuses a recvWindow of 60000 "
                f"or more), got {value}"
            )
        return value

    @model_validator(mode="after")
    def _venue_matches_symbols(self) -> HedgeConfig:
        for underlying, symbol in self.symbols.items():
            inverse = symbol.endswith("_PERP")
            if self.venue == "coinm" and not inverse:
                raise RelationError(
                    f"symbols.{underlying}: {symbol!r} is not a COIN-M contract "
                    f"(venue coinm expects e.g. {underlying}USD_PERP)",
                    f"symbols.{underlying}",
                    "venue",
                )
            if self.venue == "usdm" and inverse:
                raise RelationError(
                    f"symbols.{underlying}: {symbol!r} is a COIN-M contract but venue is usdm",
                    f"symbols.{underlying}",
                    "venue",
                )
        if self.venue == "coinm" and self.margin_asset in ("USDT",):
            raise RelationError(
                "venue coinm margins in the coin: margin_asset must be BNB/BTC/ETH",
                "margin_asset",
                "venue",
            )
        if (
            self.margin_type is MarginType.ISOLATED
            and self.margin_asset == "BNB"
            and (self.venue == "usdm")
        ):
            raise RelationError(
                "margin_type: USD-M with BNB margin needs Multi-Assets Mode, which is cross only",
                "margin_type",
                "margin_asset",
            )
        return self


class ScheduleConfig(Strict):
    interval_secs: Float = Field(default=10.0, gt=0, le=3600)
    fast_interval_secs: Float = Field(default=1.0, ge=0.2, le=3600)
    alert_hf: HealthFactor = Decimal("1.3")
    fast_below_liq_distance: Fraction = Decimal("0.15")
    misfire_grace_secs: Float = Field(default=5.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _fast_is_faster(self) -> ScheduleConfig:
        if self.fast_interval_secs > self.interval_secs:
            raise RelationError(
                f"fast_interval_secs ({self.fast_interval_secs}) must not exceed "
                f"interval_secs ({self.interval_secs})",
                "fast_interval_secs",
                "interval_secs",
            )
        return self


# Updates name a chat by its numeric id only (an @channel name never sends commands).
ChatId = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,20}$")]


class TelegramCommandsConfig(Strict):
    """Operator commands read from the bot's chats (/status, /pause, /flatten, ...)."""

    enabled: bool = False
    allowed_chat_ids: list[ChatId] = Field(default_factory=list, max_length=20)
    confirm_secs: Float = Field(default=60, ge=10, le=600)  # /flatten's confirmation window
    # A command queued longer than this (the daemon was down) is answered, never obeyed.
    max_command_age_secs: Float = Field(default=300, ge=10, le=86_400)
    poll_timeout_secs: Int = Field(default=10, ge=1, le=50)  # getUpdates long poll

    @model_validator(mode="after")
    def _someone_allowed(self) -> TelegramCommandsConfig:
        if self.enabled and not self.allowed_chat_ids:
            raise RelationError(
                "commands.enabled needs allowed_chat_ids: the chats whose commands are obeyed",
                "allowed_chat_ids",
            )
        return self


class TelegramAlertConfig(Strict):
    chat_id: str = Field(pattern=r"^(-?[0-9]{1,20}|@[A-Za-z0-9_]{4,64})$")  # id or @channel
    token_env: EnvName = "HEDGEBOT_TELEGRAM_TOKEN"  # noqa: S105 - the bot token is a secret: env var name only
    commands: TelegramCommandsConfig = Field(default_factory=TelegramCommandsConfig)


class WebhookAlertConfig(Strict):
    url_env: EnvName  # webhook URLs embed secrets: env var name only


class AlertsConfig(Strict):
    telegram: list[TelegramAlertConfig] = Field(default_factory=list, max_length=20)
    slack: list[WebhookAlertConfig] = Field(default_factory=list, max_length=20)
    discord: list[WebhookAlertConfig] = Field(default_factory=list, max_length=20)
    webhook: list[WebhookAlertConfig] = Field(default_factory=list, max_length=20)
    hf_thresholds: list[HealthFactor] = Field(
        default_factory=lambda: [Decimal("1.5"), Decimal("1.3"), Decimal("1.15")], max_length=10
    )
    dedupe_window_secs: Float = Field(default=300, ge=0, le=86_400)

    @model_validator(mode="after")
    def _one_command_listener(self) -> AlertsConfig:
        # Telegram answers a second getUpdates poller on the same bot with 409 Conflict.
        listening = [n for n, t in enumerate(self.telegram) if t.commands.enabled]
        if len(listening) > 1:
            raise RelationError(
                "alerts.telegram: commands can be enabled on one entry only, got entries "
                f"{', '.join(map(str, listening))}",
                "telegram",
            )
        return self


class JournalConfig(Strict):
    url: str = "sqlite:///var/hedgebot.db"

    @field_validator("url")
    @classmethod
    def _driver(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            # Not echoed: a database URL can carry a password.
            raise ValueError("journal url must start with sqlite:/// or postgresql://")
        return value


class HaConfig(Strict):
    """Two or more replicas on one PostgreSQL journal: the one holding the leadership lock acts
    (guard, hedger, capital), the others serve status and wait (bot.ha)."""

    enabled: bool = False
    # Names this replica in the journal's epochs and in alerts; default: hostname-pid.
    replica_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,80}$")] | None = None
    heartbeat_secs: Float = Field(default=1.0, gt=0, le=60)
    # The leader stops acting when no heartbeat succeeded for this long ...
    lease_secs: Float = Field(default=5.0, gt=0, le=300)
    # ... and a replica that won the lock acts only this long after winning it, so a leader
    # that lost its lock without noticing has stopped before the new one starts.
    takeover_secs: Float = Field(default=8.0, gt=0, le=600)
    connect_timeout_secs: Int = Field(default=5, ge=1, le=60)

    @model_validator(mode="after")
    def _lease_inside_takeover(self) -> HaConfig:
        if not self.heartbeat_secs < self.lease_secs:
            raise RelationError(
                f"ha.heartbeat_secs ({self.heartbeat_secs}) must be under ha.lease_secs "
                f"({self.lease_secs}): one missed heartbeat must not cost the lease",
                "heartbeat_secs",
                "lease_secs",
            )
        if not self.lease_secs < self.takeover_secs:
            raise RelationError(
                f"ha.lease_secs ({self.lease_secs}) must be under ha.takeover_secs "
                f"({self.takeover_secs}): a leader that lost its lock must stop acting before "
                "another replica starts",
                "lease_secs",
                "takeover_secs",
            )
        return self


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


class MetricsConfig(Strict):
    # /metrics and /healthz answer anyone who can reach them: bot.config.advice warns when the
    # host is not a loopback address.
    host: str = "127.0.0.1"
    port: Int = Field(default=9108, ge=0, le=65535)  # 0: any free port
    # The dashboard on the same address: beyond loopback it answers only with this token
    # (read like the other secrets: the variable, its _FILE form, or a mounted secret file).
    dashboard_token_env: EnvName = "HEDGEBOT_DASHBOARD_TOKEN"  # noqa: S105 - a variable name
    dashboard_refresh_secs: Float = Field(default=5.0, gt=0, le=3600)  # chain reads this often

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.fullmatch(value):
                raise ValueError(
                    "must be an IP address or a host name (127.0.0.1 keeps /metrics local)"
                ) from None
        return value


class ProtectConfig(Strict):
    """Repay debt from a stablecoin reserve when HF falls under ``trigger_hf``."""

    enabled: bool = True
    trigger_hf: HealthFactor = Decimal("1.3")
    target_hf: HealthFactor = Decimal("1.6")
    reserve_tokens: list[Symbol] = Field(
        default_factory=lambda: ["USDC", "USDT"], min_length=1, max_length=10
    )
    reserve_wallet: Address | None = None  # default: the watched wallet
    # Alert (with the hedge profit that can refill it) when the reserve falls under this;
    # default: the highest reserve balance seen since the daemon started.
    reserve_target_usd: Usd | None = None
    max_per_action_usd: Usd = Decimal(50_000)
    max_per_day_usd: Usd = Decimal(200_000)
    max_fee_gwei: Gwei = Decimal(50)
    max_priority_fee_gwei: Gwei = Decimal(3)
    require_confirmation: bool = False
    use_shadow_hf: bool = False
    # The guard reads the position this often, on its own schedule (a block on BNB Chain).
    poll_interval_secs: Float = Field(default=0.45, ge=0.05, le=60)
    # No completed read for this many polls: a critical alert (RPC down, node stuck).
    stall_alert_polls: Int = Field(default=20, ge=2, le=10_000)
    # A repay without a receipt after this long is re-sent with a higher fee, same nonce.
    replace_after_secs: Float = Field(default=30.0, ge=1, le=3600)

    @model_validator(mode="after")
    def _relations(self) -> ProtectConfig:
        if self.target_hf <= self.trigger_hf:
            raise RelationError(
                f"target_hf ({self.target_hf}) must be above trigger_hf ({self.trigger_hf})",
                "target_hf",
                "trigger_hf",
            )
        if self.max_per_action_usd > self.max_per_day_usd:
            raise RelationError(
                f"max_per_action_usd ({self.max_per_action_usd}) must not exceed "
                f"max_per_day_usd ({self.max_per_day_usd})",
                "max_per_action_usd",
                "max_per_day_usd",
            )
        if self.max_priority_fee_gwei > self.max_fee_gwei:
            # EIP-1559 rejects a transaction whose priority fee exceeds its max fee.
            raise RelationError(
                f"max_priority_fee_gwei ({self.max_priority_fee_gwei}) must not exceed "
                f"max_fee_gwei ({self.max_fee_gwei})",
                "max_priority_fee_gwei",
                "max_fee_gwei",
            )
        return self


class CapitalConfig(Strict):
    """Money between the exchange account and the reserve wallet: hedge profit withdrawn to
    refill the reserve, reserve deposited as margin when the short nears its liquidation.
    Only ever to the reserve wallet and the deposit address written here; nothing moves on
    the testnet (no wallet API there): it alerts the amounts instead."""

    enabled: bool = True
    coin: Symbol = "USDC"  # on the exchange; the same token as a protect.reserve_tokens entry
    network: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{2,20}$")] = "BSC"
    # The account's deposit address for coin on network (the alert for a deposit held without
    # it names the address the exchange reports): a deposit goes only there, and only while
    # the exchange still reports the same address.
    deposit_address: Address | None = None
    reserve_target_usd: Usd  # refill the reserve up to this
    reserve_floor_usd: UsdOrZero = Decimal(0)  # a deposit never takes the reserve under this
    band_usd: UsdOrZero = Decimal(500)  # refill only once the reserve is this far under
    min_transfer_usd: UsdOrZero = Decimal(100)
    # Deposit when the nearest short is closer to its liquidation than this (fraction of the
    # mark), back to hedge.min_short_liq_distance.
    short_floor: Fraction = Decimal("0.20")
    max_withdraw_per_transfer_usd: Usd = Decimal(25_000)
    max_withdraw_per_day_usd: Usd = Decimal(50_000)
    max_deposit_per_transfer_usd: Usd = Decimal(25_000)
    max_deposit_per_day_usd: Usd = Decimal(50_000)
    # A pass reads the reserve and what may leave the account; the withdraw history (18,000
    # of Binance's 180,000 UID weight a minute) is read at most every 6 s however fast this is.
    interval_secs: Float = Field(default=5.0, ge=1, le=3600)
    # A transfer awaiting approval or processing for longer is alerted (never repeated); a
    # short limit only alerts sooner, it changes nothing the loop does.
    stuck_alert_secs: Float = Field(default=3600.0, ge=10, le=7 * 86400)
    # A withdrawal or futures <-> spot transfer whose answer was lost (a crash, a timeout) and
    # that the venue still does not list this long after it was sent was not made: it is sent
    # again. Far longer than a request's recvWindow (the venue refuses one arriving later),
    # as a margin for the venue's history catching up.
    lost_answer_grace_secs: Float = Field(default=60.0, ge=10, le=3600)

    @model_validator(mode="after")
    def _relations(self) -> CapitalConfig:
        for way in ("withdraw", "deposit"):
            per, day = f"max_{way}_per_transfer_usd", f"max_{way}_per_day_usd"
            if getattr(self, per) > getattr(self, day):
                raise RelationError(
                    f"{per} ({getattr(self, per)}) must not exceed {day} ({getattr(self, day)})",
                    per,
                    day,
                )
        if self.reserve_floor_usd >= self.reserve_target_usd:
            raise RelationError(
                f"reserve_floor_usd ({self.reserve_floor_usd}) must be under "
                f"reserve_target_usd ({self.reserve_target_usd})",
                "reserve_floor_usd",
                "reserve_target_usd",
            )
        return self


class PaperConfig(Strict):
    """The dry-run paper exchange: starting balances and fill costs."""

    initial_balances: dict[Symbol, Amount] = Field(
        default_factory=lambda: {"USDT": Decimal(10_000)}, max_length=20
    )
    taker_fee: FeeRate = Decimal("0.0005")
    slippage: FeeRate = Decimal("0.0005")


class SimRiskConfig(Strict):
    """A reserve's liquidation parameters on the lending protocol (Aave: LT, bonus)."""

    liquidation_threshold: Dec = Field(gt=0, lt=1)
    liquidation_bonus: Dec = Field(default=Decimal("0.05"), ge=0, le=0.5)


class SimCollateralConfig(SimRiskConfig):
    units: Amount


LogReturn = Annotated[Decimal, NotBool, Field(ge=-5, le=5)]


class SimJumpConfig(Strict):
    intensity_per_year: Dec = Field(default=Decimal(0), ge=0, le=10_000)
    mean_log: LogReturn = Decimal(0)
    std_log: Dec = Field(default=Decimal(0), ge=0, le=5)


class SimulationConfig(Strict):
    """``hedgebot simulate`` / ``backtest``: the loan to study and its market model."""

    collateral: dict[Symbol, SimCollateralConfig] = Field(min_length=1)  # token -> amount, LT
    # token -> LT and bonus of collateral the backtest may replay (--underlying) that the loan
    # above does not hold: e.g. WBNB {liquidation_threshold: 0.75, liquidation_bonus: 0.10}.
    risk_params: dict[Symbol, SimRiskConfig] = Field(default_factory=dict)
    debt_usd: Usd
    borrow_apr: Fraction = Decimal("0.05")
    prices_usd: dict[Underlying, Usd] = Field(default_factory=dict)  # underlying -> s0
    volatility: dict[Underlying, Annotated[Decimal, NotBool, Field(ge=0, le=5)]] = Field(
        default_factory=dict
    )
    drift: dict[Underlying, LogReturn] = Field(default_factory=dict)  # annual
    jumps: dict[Underlying, SimJumpConfig] = Field(default_factory=dict)
    # in the order of prices_usd
    correlation: list[list[Annotated[Decimal, NotBool, Field(ge=-1, le=1)]]] | None = None
    price_files: dict[Underlying, str] = Field(default_factory=dict)  # underlying -> CSV
    policies: list[PolicyConfig] = Field(default_factory=list, max_length=20)  # default: a set
    reserve_usd: UsdOrZero = Decimal(0)
    transfer_delay_hours: Dec = Field(default=Decimal(1), ge=0, le=720)
    n_paths: Int = Field(default=2000, gt=0, le=1_000_000)
    horizon_days: Int = Field(default=30, gt=0, le=3650)
    seed: Int = Field(default=0, ge=0, le=2**63 - 1)  # numpy refuses negative seeds
    # Binance clamps funding to a few percent per 8 hours.
    funding_rate_per_8h: Dec = Field(default=Decimal("0.0001"), ge=-0.1, le=0.1)


class HedgebotConfig(Strict):
    network: Network = Network.TESTNET
    allow_mainnet: bool = False  # mainnet needs this AND `--live` on the command line
    # With network: custom, the origin serving /fapi, /dapi and /api (e.g. `hedgebot emulator`).
    exchange_base_url: AnyHttpUrl | None = None
    positions: list[PositionConfig] = Field(min_length=1, max_length=50)
    tokens: dict[Symbol, TokenConfig] = Field(min_length=1, max_length=200)
    hedge: HedgeConfig
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    ha: HaConfig = Field(default_factory=HaConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    protect: ProtectConfig | None = None
    capital: CapitalConfig | None = None
    paper: PaperConfig = Field(default_factory=PaperConfig)
    simulation: SimulationConfig | None = None

    @model_validator(mode="after")
    def _cross_checks(self) -> HedgebotConfig:
        if self.network is Network.MAINNET and not self.allow_mainnet:
            raise RelationError(
                "network: mainnet trades real money: set allow_mainnet: true in the config "
                "and pass --live to `hedgebot run`",
                "network",
            )
        if self.network is Network.CUSTOM and self.exchange_base_url is None:
            raise RelationError(
                "network: custom needs exchange_base_url (e.g. http://127.0.0.1:8700)", "network"
            )
        if self.network is not Network.CUSTOM and self.exchange_base_url is not None:
            raise RelationError(
                "exchange_base_url is only used with network: custom", "exchange_base_url"
            )
        names = [p.name for p in self.positions]
        if len(set(names)) != len(names):
            raise RelationError(f"positions: names must be unique, got {names}", "positions")
        hedgeable = {t.underlying for t in self.tokens.values() if t.underlying != "USD"}
        missing = sorted(hedgeable - set(self.hedge.symbols))
        if missing:
            raise RelationError(
                f"hedge.symbols has no contract for underlying {', '.join(missing)} "
                f"(mapped from tokens); add e.g. {missing[0]}: {missing[0]}USDT",
                "hedge.symbols",
                "tokens",
            )
        self._capital_checks()
        self._ha_checks()
        return self

    def _ha_checks(self) -> None:
        if self.ha.enabled and not self.journal.url.startswith("postgresql"):
            raise RelationError(
                "ha.enabled needs a PostgreSQL journal (journal.url: postgresql://...): the "
                "replicas elect their leader with a PostgreSQL advisory lock and must share one "
                "journal; with SQLite each replica would write its own file, two journals that "
                "never see each other's orders",
                "ha.enabled",
                "journal.url",
            )

    def _capital_checks(self) -> None:
        capital = self.capital
        if capital is None or not capital.enabled:
            return
        if self.protect is None or not self.protect.enabled:
            raise RelationError(
                "capital moves money to and from the reserve wallet that protect repays from: "
                "it needs protect (enabled)",
                "capital",
                "protect",
            )
        if capital.coin not in self.protect.reserve_tokens:
            raise RelationError(
                f"capital.coin {capital.coin} must be one of protect.reserve_tokens "
                f"{self.protect.reserve_tokens}: the reserve receives what is withdrawn",
                "capital.coin",
                "protect.reserve_tokens",
            )
        if not capital.short_floor < self.hedge.min_short_liq_distance:
            raise RelationError(
                f"capital.short_floor ({capital.short_floor}) must be under "
                f"hedge.min_short_liq_distance ({self.hedge.min_short_liq_distance}): a deposit "
                "restores the short to that distance",
                "capital.short_floor",
                "hedge.min_short_liq_distance",
            )
        wallets = {p.wallet.lower() for p in self.positions}
        if self.protect.reserve_wallet is None and len(wallets) > 1:
            raise RelationError(
                "capital moves money to one reserve wallet: with positions in several wallets, "
                "set protect.reserve_wallet",
                "capital",
                "protect.reserve_wallet",
            )

"""The deployment configuration: one YAML file, validated by these frozen models.

Units live in field names (``interval_secs``, ``max_notional_usd``). Unknown keys are errors.
Secrets are never part of it: they come from the environment (see ``bot.config.secrets``).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from web3 import Web3

from bot.core.model import MarginType


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(StrEnum):
    TESTNET = "testnet"
    DEMO = "demo"
    MAINNET = "mainnet"
    CUSTOM = "custom"  # explicit base URLs, e.g. the local emulator


def _checksummed(value: str) -> str:
    if not Web3.is_address(value):
        raise ValueError(f"{value!r} is not an EVM address (0x followed by 40 hex digits)")
    if value != value.lower() and not Web3.is_checksum_address(value):
        raise ValueError(
            f"{value!r} has a bad EIP-55 checksum (expected {Web3.to_checksum_address(value)})"
        )
    return Web3.to_checksum_address(value)


Address = str  # validated and checksummed by _checksummed
Fraction = Annotated[Decimal, Field(ge=0, le=1)]
PositiveDecimal = Annotated[Decimal, Field(gt=0)]


class PositionConfig(Strict):
    """A lending position to watch."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    protocol: Literal["aave-v3"] = "aave-v3"
    chain_id: int = Field(gt=0)
    rpc_urls: list[AnyHttpUrl] = Field(min_length=1)
    addresses_provider: Address
    wallet: Address
    max_block_age_secs: int = Field(default=60, gt=0)
    rpc_timeout_secs: float = Field(default=5.0, gt=0)

    @field_validator("addresses_provider", "wallet")
    @classmethod
    def _address(cls, value: str) -> str:
        return _checksummed(value)


class TokenConfig(Strict):
    underlying: str = Field(pattern=r"^[A-Z0-9]{2,10}$")  # BTC, ETH, BNB; USD = never hedged
    beta: Decimal = Field(default=Decimal(1), gt=0, le=5)


class RatioPolicyConfig(Strict):
    kind: Literal["ratio"]
    r: Fraction = Decimal("0.5")


class LossFractionPolicyConfig(Strict):
    kind: Literal["loss_fraction"]
    f: Fraction = Decimal("0.5")


class HealthTargetPolicyConfig(Strict):
    kind: Literal["health_target"]
    target_hf: Decimal = Field(default=Decimal("1.5"), gt=1)
    r_max: Fraction = Decimal(1)


class LadderPolicyConfig(Strict):
    kind: Literal["ladder"]
    r_min: Fraction = Decimal("0.2")
    r_max: Fraction = Decimal("1")
    hf_high: Decimal = Field(default=Decimal("2.0"), gt=1)
    hf_low: Decimal = Field(default=Decimal("1.2"), gt=1)
    hysteresis: Decimal = Field(default=Decimal("0.05"), ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> LadderPolicyConfig:
        if self.hf_low >= self.hf_high:
            raise ValueError(f"hf_low ({self.hf_low}) must be below hf_high ({self.hf_high})")
        if self.r_min > self.r_max:
            raise ValueError(f"r_min ({self.r_min}) must not exceed r_max ({self.r_max})")
        return self


class NoHedgePolicyConfig(Strict):
    kind: Literal["none"]


PolicyConfig = Annotated[
    RatioPolicyConfig
    | LossFractionPolicyConfig
    | HealthTargetPolicyConfig
    | LadderPolicyConfig
    | NoHedgePolicyConfig,
    Field(discriminator="kind"),
]


class BandConfig(Strict):
    """No trade while |target - current| <= max(rel * target, abs_usd)."""

    rel: Fraction = Decimal("0.10")
    abs_usd: Decimal = Field(default=Decimal(50), ge=0)


class CapsConfig(Strict):
    max_notional_per_symbol_usd: PositiveDecimal = Decimal(50_000)
    max_total_notional_usd: PositiveDecimal = Decimal(100_000)
    max_orders_per_hour: int = Field(default=30, gt=0)
    max_notional_change_per_cycle_usd: PositiveDecimal = Decimal(25_000)
    max_consecutive_failed_cycles: int = Field(default=5, gt=0)


class HedgeConfig(Strict):
    venue: Literal["usdm", "coinm"] = "usdm"
    margin_asset: Literal["USDT", "BNB", "BTC", "ETH"] = "USDT"
    symbols: dict[str, str] = Field(min_length=1)  # underlying -> futures symbol
    leverage: int = Field(default=3, ge=1, le=125)
    margin_type: MarginType = MarginType.CROSS
    policy: PolicyConfig = Field(default_factory=lambda: RatioPolicyConfig(kind="ratio"))
    band: BandConfig = Field(default_factory=BandConfig)
    caps: CapsConfig = Field(default_factory=CapsConfig)
    min_short_liq_distance: Fraction = Decimal("0.30")
    allow_long: bool = False
    count_margin_as_exposure: bool = True
    use_shadow_hf: bool = True
    margin_safety_factor: Decimal = Field(default=Decimal("1.5"), ge=1)
    recv_window_ms: int = Field(default=5000, ge=1, le=60_000)
    # Re-read positions and balances at most this often (and after every own order): they only
    # change through hedgebot's orders, funding and fees. 0 = every cycle.
    account_refresh_secs: float = Field(default=15.0, ge=0, le=300)
    # Read the fees of recent fills from the trade list this often (one request per symbol,
    # in a cycle that sends no order); Binance reports them nowhere else.
    fee_settle_interval_secs: float = Field(default=60.0, ge=1, le=3600)
    on_unexplained_position: Literal["adopt", "refuse"] = "refuse"

    @field_validator("margin_type", mode="before")
    @classmethod
    def _margin_type(cls, value: object) -> object:
        aliases = {"cross": "CROSSED", "crossed": "CROSSED", "isolated": "ISOLATED"}
        return aliases.get(str(value).lower(), value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _venue_matches_symbols(self) -> HedgeConfig:
        for underlying, symbol in self.symbols.items():
            inverse = symbol.endswith("_PERP")
            if self.venue == "coinm" and not inverse:
                raise ValueError(
                    f"symbols.{underlying}: {symbol!r} is not a COIN-M contract "
                    f"(venue coinm expects e.g. {underlying}USD_PERP)"
                )
            if self.venue == "usdm" and inverse:
                raise ValueError(
                    f"symbols.{underlying}: {symbol!r} is a COIN-M contract but venue is usdm"
                )
        if self.venue == "coinm" and self.margin_asset in ("USDT",):
            raise ValueError("venue coinm margins in the coin: margin_asset must be BNB/BTC/ETH")
        if (
            self.margin_type is MarginType.ISOLATED
            and self.margin_asset == "BNB"
            and (self.venue == "usdm")
        ):
            raise ValueError(
                "margin_type: USD-M with BNB margin needs Multi-Assets Mode, which is cross only"
            )
        return self


class ScheduleConfig(Strict):
    interval_secs: float = Field(default=10.0, gt=0)
    fast_interval_secs: float = Field(default=1.0, ge=0.2)
    alert_hf: Decimal = Field(default=Decimal("1.3"), gt=1)
    fast_below_liq_distance: Fraction = Decimal("0.15")
    misfire_grace_secs: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _fast_is_faster(self) -> ScheduleConfig:
        if self.fast_interval_secs > self.interval_secs:
            raise ValueError(
                f"fast_interval_secs ({self.fast_interval_secs}) must not exceed "
                f"interval_secs ({self.interval_secs})"
            )
        return self


class TelegramAlertConfig(Strict):
    chat_id: str
    token_env: str = "HEDGEBOT_TELEGRAM_TOKEN"  # noqa: S105 - the bot token is a secret: env var name only


class WebhookAlertConfig(Strict):
    url_env: str  # webhook URLs embed secrets: env var name only


class AlertsConfig(Strict):
    telegram: list[TelegramAlertConfig] = Field(default_factory=list)
    slack: list[WebhookAlertConfig] = Field(default_factory=list)
    discord: list[WebhookAlertConfig] = Field(default_factory=list)
    webhook: list[WebhookAlertConfig] = Field(default_factory=list)
    hf_thresholds: list[Decimal] = Field(
        default_factory=lambda: [Decimal("1.5"), Decimal("1.3"), Decimal("1.15")]
    )
    dedupe_window_secs: float = Field(default=300, ge=0)


class JournalConfig(Strict):
    url: str = "sqlite:///var/hedgebot.db"

    @field_validator("url")
    @classmethod
    def _driver(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(f"{value!r}: journal url must be sqlite:/// or postgresql://")
        return value


class MetricsConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)


class ProtectConfig(Strict):
    """Repay debt from a stablecoin reserve when HF falls under ``trigger_hf``."""

    enabled: bool = True
    trigger_hf: Decimal = Field(default=Decimal("1.3"), gt=1)
    target_hf: Decimal = Field(default=Decimal("1.6"), gt=1)
    reserve_tokens: list[str] = Field(default_factory=lambda: ["USDC", "USDT"], min_length=1)
    reserve_wallet: Address | None = None  # default: the watched wallet
    # Alert (with the hedge profit that can refill it) when the reserve falls under this;
    # default: the highest reserve balance seen since the daemon started.
    reserve_target_usd: PositiveDecimal | None = None
    max_per_action_usd: PositiveDecimal = Decimal(50_000)
    max_per_day_usd: PositiveDecimal = Decimal(200_000)
    max_fee_gwei: PositiveDecimal = Decimal(50)
    max_priority_fee_gwei: PositiveDecimal = Decimal(3)
    require_confirmation: bool = False
    use_shadow_hf: bool = False
    # The guard reads the position this often, on its own schedule (a block on BNB Chain).
    poll_interval_secs: float = Field(default=0.45, ge=0.05, le=60)
    # No completed read for this many polls: a critical alert (RPC down, node stuck).
    stall_alert_polls: int = Field(default=20, ge=2, le=10_000)
    # A repay without a receipt after this long is re-sent with a higher fee, same nonce.
    replace_after_secs: float = Field(default=30.0, ge=1, le=3600)

    @field_validator("reserve_wallet")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else _checksummed(value)

    @model_validator(mode="after")
    def _target_above_trigger(self) -> ProtectConfig:
        if self.target_hf <= self.trigger_hf:
            raise ValueError(
                f"target_hf ({self.target_hf}) must be above trigger_hf ({self.trigger_hf})"
            )
        return self


class PaperConfig(Strict):
    """The dry-run paper exchange: starting balances and fill costs."""

    initial_balances: dict[str, PositiveDecimal] = Field(
        default_factory=lambda: {"USDT": Decimal(10_000)}
    )
    taker_fee: Fraction = Decimal("0.0005")
    slippage: Fraction = Decimal("0.0005")


class SimCollateralConfig(Strict):
    units: PositiveDecimal
    liquidation_threshold: Fraction
    liquidation_bonus: Fraction = Decimal("0.05")


class SimJumpConfig(Strict):
    intensity_per_year: Decimal = Field(default=Decimal(0), ge=0)
    mean_log: Decimal = Decimal(0)
    std_log: Decimal = Field(default=Decimal(0), ge=0)


class SimulationConfig(Strict):
    """``hedgebot simulate`` / ``backtest``: the loan to study and its market model."""

    collateral: dict[str, SimCollateralConfig] = Field(min_length=1)  # token -> amount, LT
    debt_usd: PositiveDecimal
    borrow_apr: Fraction = Decimal("0.05")
    prices_usd: dict[str, PositiveDecimal] = Field(default_factory=dict)  # underlying -> s0
    volatility: dict[str, Annotated[Decimal, Field(ge=0, le=5)]] = Field(default_factory=dict)
    drift: dict[str, Decimal] = Field(default_factory=dict)  # annual
    jumps: dict[str, SimJumpConfig] = Field(default_factory=dict)
    correlation: list[list[Decimal]] | None = None  # in the order of prices_usd
    price_files: dict[str, str] = Field(default_factory=dict)  # underlying -> CSV to fit from
    policies: list[PolicyConfig] = Field(default_factory=list)  # default: a standard set
    reserve_usd: Decimal = Field(default=Decimal(0), ge=0)
    transfer_delay_hours: Decimal = Field(default=Decimal(1), ge=0)
    n_paths: int = Field(default=2000, gt=0, le=1_000_000)
    horizon_days: int = Field(default=30, gt=0, le=3650)
    seed: int = 0
    funding_rate_per_8h: Decimal = Decimal("0.0001")


class HedgebotConfig(Strict):
    network: Network = Network.TESTNET
    allow_mainnet: bool = False  # mainnet needs this AND `--live` on the command line
    # With network: custom, the origin serving /fapi, /dapi and /api (e.g. `hedgebot emulator`).
    exchange_base_url: AnyHttpUrl | None = None
    positions: list[PositionConfig] = Field(min_length=1)
    tokens: dict[str, TokenConfig] = Field(min_length=1)
    hedge: HedgeConfig
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    protect: ProtectConfig | None = None
    paper: PaperConfig = Field(default_factory=PaperConfig)
    simulation: SimulationConfig | None = None

    @model_validator(mode="after")
    def _cross_checks(self) -> HedgebotConfig:
        if self.network is Network.MAINNET and not self.allow_mainnet:
            raise ValueError(
                "network: mainnet trades real money: set allow_mainnet: true in the config "
                "and pass --live to `hedgebot run`"
            )
        if self.network is Network.CUSTOM and self.exchange_base_url is None:
            raise ValueError("network: custom needs exchange_base_url (e.g. http://127.0.0.1:8700)")
        if self.network is not Network.CUSTOM and self.exchange_base_url is not None:
            raise ValueError("exchange_base_url is only used with network: custom")
        names = [p.name for p in self.positions]
        if len(set(names)) != len(names):
            raise ValueError(f"positions: names must be unique, got {names}")
        hedgeable = {t.underlying for t in self.tokens.values() if t.underlying != "USD"}
        missing = sorted(hedgeable - set(self.hedge.symbols))
        if missing:
            raise ValueError(
                f"hedge.symbols has no contract for underlying {', '.join(missing)} "
                f"(mapped from tokens); add e.g. {missing[0]}: {missing[0]}USDT"
            )
        return self

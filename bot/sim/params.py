"""Simulation inputs as frozen, keyword-only values. The CLI maps YAML config onto these.

Floats on purpose: this package is the vectorised simulator (numpy), not live money code.
Rates are fractions; times in hours unless a name says otherwise; drift and volatility annual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

HOURS_PER_YEAR = 8760.0
PolicyKind = Literal["none", "ratio", "loss_fraction", "health_target", "ladder"]
Venue = Literal["linear", "inverse"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetModel:
    """One underlying's price process: GBM, optionally with Merton log-normal jumps."""

    symbol: str  # "BTC", "ETH", "BNB"
    s0: float
    mu: float  # annual drift of the price (jumps compensated so E[S_T] = s0 * exp(mu T))
    sigma: float  # annual diffusion volatility
    jump_intensity: float = 0.0  # expected jumps per year
    jump_mean: float = 0.0  # mean of the log jump size
    jump_std: float = 0.0  # std of the log jump size

    def __post_init__(self) -> None:
        if self.s0 <= 0 or self.sigma < 0 or self.jump_intensity < 0 or self.jump_std < 0:
            raise ValueError(f"asset {self.symbol}: s0 > 0, sigma/jump values >= 0 required")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketModel:
    assets: tuple[AssetModel, ...]
    # Correlation of the diffusion shocks, row-major, len(assets) square; None = independent.
    correlation: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.assets)
        if n == 0:
            raise ValueError("market: at least one asset required")
        if self.correlation is not None and (
            len(self.correlation) != n or any(len(r) != n for r in self.correlation)
        ):
            raise ValueError(f"market.correlation must be {n}x{n} for assets {self.symbols}")

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(a.symbol for a in self.assets)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanModel:
    """A lending position: volatile collateral against one USD stablecoin debt."""

    collateral_units: tuple[float, ...]  # per market asset, in market order (0 = none)
    liquidation_threshold: tuple[float, ...]  # per market asset, fraction
    liquidation_bonus: tuple[float, ...]  # per market asset, fraction (0.05 = 5 %)
    debt_usd: float
    borrow_apr: float = 0.0  # continuously compounded interest on the debt

    def __post_init__(self) -> None:
        n = len(self.collateral_units)
        if len(self.liquidation_threshold) != n or len(self.liquidation_bonus) != n:
            raise ValueError("loan: collateral_units, liquidation_threshold, bonus lengths differ")
        if self.debt_usd < 0:
            raise ValueError(f"loan.debt_usd must be >= 0, got {self.debt_usd}")
        # Long collateral only: the policies (and the short-only hedge book) rely on delta >= 0.
        if any(u < 0 for u in self.collateral_units):
            raise ValueError(f"loan.collateral_units must be >= 0, got {self.collateral_units}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeModel:
    venue: Venue = "linear"  # linear = USD-M (USDT margin); inverse = COIN-M (coin margin)
    leverage: float = 3.0
    band_rel: float = 0.10
    band_abs_usd: float = 50.0
    taker_fee: float = 0.0005
    slippage: float = 0.0005  # fraction of price paid on every fill
    # Funding per hour as a fraction of notional (shorts receive when positive): one number,
    # or one per simulated step. 0.0001 per 8 h is 0.0000125 per hour.
    funding_rate_per_hour: float | tuple[float, ...] = 0.0000125
    funding_interval_hours: float = 8.0  # settled every 8 h (00:00, 08:00, 16:00 on Binance)
    maint_margin_rate: float = 0.004
    min_short_liq_distance: float = 0.30  # keep mark * (1 + this) below the short's liq price
    count_margin_delta: bool = True  # inverse: coin margin is long exposure the hedge offsets

    def __post_init__(self) -> None:
        if self.leverage <= 0 or self.band_rel < 0 or self.min_short_liq_distance < 0:
            raise ValueError("hedge: leverage > 0, band_rel >= 0, min distance >= 0 required")


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySpec:
    """One hedge policy; the fields a kind does not use are ignored."""

    kind: PolicyKind
    label: str = ""
    r: float = 0.5  # ratio
    f: float = 0.5  # loss_fraction
    target_hf: float = 1.5  # health_target
    r_max: float = 1.0  # health_target cap, ladder top
    r_min: float = 0.0  # ladder bottom
    hf_high: float = 2.0  # ladder: r_min at or above
    hf_low: float = 1.2  # ladder: r_max at or below
    hysteresis_hf: float = 0.05  # ladder: the ratio comes down only once HF recovered this far

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        match self.kind:
            case "ratio":
                return f"ratio r={self.r:g}"
            case "loss_fraction":
                return f"loss_fraction f={self.f:g}"
            case "health_target":
                return f"health_target {self.target_hf:g}"
            case "ladder":
                return f"ladder {self.r_min:g}-{self.r_max:g}"
            case _:
                return "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectModel:
    """Repay-from-reserve (issue 9): when HF < trigger_hf, repay debt to restore target_hf."""

    trigger_hf: float = 1.3
    target_hf: float = 1.6
    reserve_usd: float = 0.0  # stablecoins already in the wallet: repay with no delay
    transfer_delay_hours: float = 1.0  # exchange -> wallet for realised hedge gains
    use_hedge_gains: bool = True  # legacy model only (capital_model="outside")
    # "core" (mode "repay" only; "hold" always runs the "outside" model): repays and transfers
    # by the rules of bot.core.repay / bot.core.capital (bot.sim.capital_vec), no outside
    # money after the starting margin;
    # "outside": the earlier model (own repay rule, gains moved on trigger, margin top-ups
    # from outside capital), kept for inverse and multi-asset runs the loop does not take.
    capital_model: Literal["core", "outside"] = "core"
    capital_loop: bool = True  # "core": False moves nothing (capital.enabled off)
    deposit_credit_hours: float = 5 / 60
    withdraw_fee_usd: float = 0.8  # BSC USDC, as the backtest (UNVERIFIED live figure)
    repay_gas_usd: float = 0.15
    deposit_gas_usd: float = 0.05
    refill_band_usd: float = 100.0

    def __post_init__(self) -> None:
        if not 1.0 < self.trigger_hf < self.target_hf:
            raise ValueError(
                f"protect: need 1 < trigger_hf < target_hf, got {self.trigger_hf}, {self.target_hf}"
            )


DEFAULT_POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(kind="none"),
    PolicySpec(kind="ratio", r=0.25),
    PolicySpec(kind="ratio", r=0.5),
    PolicySpec(kind="ratio", r=1.0),
    PolicySpec(kind="loss_fraction", f=0.5),
    PolicySpec(kind="health_target", target_hf=1.5),
    PolicySpec(kind="ladder", r_min=0.2, r_max=1.0),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationParams:
    market: MarketModel
    loan: LoanModel
    hedge: HedgeModel = field(default_factory=HedgeModel)
    protect: ProtectModel = field(default_factory=ProtectModel)
    policies: tuple[PolicySpec, ...] = DEFAULT_POLICIES
    modes: tuple[Literal["hold", "repay"], ...] = ("hold", "repay")
    n_paths: int = 2000
    horizon_hours: int = 720
    dt_hours: float = 1.0
    seed: int = 0
    sample_paths: int = 10  # kept per policy for plots

    def __post_init__(self) -> None:
        if len(self.loan.collateral_units) != len(self.market.assets):
            raise ValueError("loan.collateral_units must have one entry per market asset")
        if self.n_paths <= 0 or self.horizon_hours <= 0 or self.dt_hours <= 0:
            raise ValueError("n_paths, horizon_hours and dt_hours must be > 0")

    @property
    def n_steps(self) -> int:
        return max(1, round(self.horizon_hours / self.dt_hours))

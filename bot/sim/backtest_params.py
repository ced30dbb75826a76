"""Backtest inputs and outputs (Decimal: the backtest replays through the live Decimal code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from bot.config.models import (
    HealthTargetPolicyConfig,
    LadderPolicyConfig,
    LossFractionPolicyConfig,
    NoHedgePolicyConfig,
    PolicyConfig,
    RatioPolicyConfig,
)
from bot.core.capital import CapitalRules, CoinNetwork
from bot.core.repay_params import ProtectParams
from bot.sim.lending import LiquidationEvent


# Binance's live USDC/USDT fees on BSC are not in the reference (UNVERIFIED there): 0.8 is the
# emulator's default and within the 0-1 USD range Binance has charged for BEP20 stablecoins.
def bsc_stablecoin(
    coin: str,
    *,
    withdraw_max: Decimal = Decimal(9_999_999),
    withdraw_multiple: Decimal = Decimal("1e-8"),
) -> CoinNetwork:
    """A stablecoin's BEP20 withdrawal rules as the emulator lists them by default."""
    return CoinNetwork(
        coin=coin,
        network="BSC",
        withdraw_fee=Decimal("0.8"),
        withdraw_min=Decimal(10),
        withdraw_max=withdraw_max,
        withdraw_multiple=withdraw_multiple,
        deposit_min=Decimal("0.01"),
    )


BSC_USDC = bsc_stablecoin("USDC")


def policy_label(p: PolicyConfig) -> str:
    match p:
        case RatioPolicyConfig():
            return f"ratio r={p.r.normalize()}"
        case LossFractionPolicyConfig():
            return f"loss_fraction f={p.f.normalize()}"
        case HealthTargetPolicyConfig():
            return f"health_target {p.target_hf.normalize()}"
        case LadderPolicyConfig():
            return f"ladder {p.r_min.normalize()}-{p.r_max.normalize()}"
        case _:
            return "none"


DEFAULT_BACKTEST_POLICIES: tuple[PolicyConfig, ...] = (
    NoHedgePolicyConfig(kind="none"),
    RatioPolicyConfig(kind="ratio", r=Decimal("0.25")),
    RatioPolicyConfig(kind="ratio", r=Decimal("0.5")),
    RatioPolicyConfig(kind="ratio", r=Decimal("1")),
    LossFractionPolicyConfig(kind="loss_fraction", f=Decimal("0.5")),
    HealthTargetPolicyConfig(kind="health_target", target_hf=Decimal("1.5")),
    LadderPolicyConfig(kind="ladder"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestParams:
    """The seed article's example by default: $10,000 of BTC, LT 75 %, HF 1.5, USDC debt."""

    underlying: str = "BTC"
    symbol: str = "BTCUSDT"  # USD-M perp
    collateral_usd: Decimal = Decimal(10_000)  # at the first hour's mark close
    liquidation_threshold: Decimal = Decimal("0.75")
    liquidation_bonus: Decimal = Decimal("0.05")
    start_hf: Decimal = Decimal("1.5")
    borrow_apr: Decimal = Decimal("0.05")
    policies: tuple[PolicyConfig, ...] = DEFAULT_BACKTEST_POLICIES
    modes: tuple[Literal["hold", "repay"], ...] = ("hold", "repay")
    leverage: int = 3
    band_rel: Decimal = Decimal("0.10")
    band_abs_usd: Decimal = Decimal(50)
    taker_fee: Decimal = Decimal("0.0005")
    slippage: Decimal = Decimal("0.0005")
    min_short_liq_distance: Decimal = Decimal("0.30")
    # hedge.margin_safety_factor: the planner's initial margin per short is notional /
    # leverage times this (and the first hour's margin, without exchange_margin_usd).
    margin_safety_factor: Decimal = Decimal("1.5")
    trigger_hf: Decimal = Decimal("1.3")
    target_hf: Decimal = Decimal("1.6")
    # The guard's caps (bot.core.repay.decide), ProtectParams' defaults.
    max_repay_per_action_usd: Decimal = Decimal(50_000)
    max_repay_per_day_usd: Decimal = Decimal(200_000)
    # The capital loop (bot.core.capital.decide_money_move). False: no transfer ever moves
    # (the rules' "enabled: false"); the guard repays from the reserve alone and the short
    # lives on the margin it started with.
    capital_loop: bool = True
    transfer_delay_minutes: int = 10  # a withdrawal reaches the reserve wallet this much later
    deposit_credit_minutes: int = 5  # a deposit is credited on Binance this much later
    network: CoinNetwork = BSC_USDC
    repay_gas_usd: Decimal = Decimal("0.15")  # Pool.repay on BSC (~200k gas at ~1 gwei)
    deposit_gas_usd: Decimal = Decimal("0.05")  # an ERC-20 transfer on BSC (~50k gas)
    refill_band_usd: Decimal = Decimal(100)
    reserve_target_usd: Decimal | None = None  # None: the starting reserve, >= 10 % of collateral
    reserve_floor_usd: Decimal = Decimal(0)  # capital.reserve_floor_usd's default
    max_withdraw_per_day_usd: Decimal = Decimal(50_000)
    max_deposit_per_day_usd: Decimal = Decimal(50_000)
    # What the exchange account starts with, all of it the user's; None: the margin the first
    # hour's plan asks for. No other money reaches the exchange but deposits from the reserve.
    exchange_margin_usd: Decimal | None = None
    # The daemon cycles every few seconds, liquidators watch continuously: when True the bot
    # also repays from the on-chain reserve inside the hour, at the price where HF crosses
    # trigger_hf on the way from the open down to the low (hedge gains still wait for the
    # transfer). False = the bot acts only on hourly closes (strictly pessimistic).
    intra_hour_reserve_repay: bool = True
    # Reserve rule (stated): the debt repayment that keeps HF >= 1 after this crash of the
    # collateral, with no help from the hedge. 0.5 -> $1,250 for the article's example.
    reserve_crash_fraction: Decimal = Decimal("0.5")
    reserve_usd: Decimal | None = None  # overrides the rule when set
    # "planner": exposures + policy.evaluate + plan_rebalance, the functions the daemon's cycle
    # calls; "assess": the daemon's whole cycle function bot.core.account.assess (also computes
    # the liquidation geometry it shows users): same orders (tested), about 4x slower.
    cycle: Literal["assess", "planner"] = "planner"

    def protect_params(self) -> ProtectParams:
        return ProtectParams(
            trigger_hf=self.trigger_hf,
            target_hf=self.target_hf,
            reserve_tokens=("USDC",),
            max_per_action_usd=self.max_repay_per_action_usd,
            max_per_day_usd=self.max_repay_per_day_usd,
            allow_supply=False,  # the simulated loan takes no stablecoin collateral
        )

    def capital_rules(self) -> CapitalRules:
        return CapitalRules(
            enabled=self.capital_loop,
            short_restore_distance=self.min_short_liq_distance,
            refill_band_usd=self.refill_band_usd,
            max_withdraw_per_day_usd=self.max_withdraw_per_day_usd,
            max_withdraw_per_transfer_usd=min(Decimal(25_000), self.max_withdraw_per_day_usd),
            max_deposit_per_day_usd=self.max_deposit_per_day_usd,
            max_deposit_per_transfer_usd=min(Decimal(25_000), self.max_deposit_per_day_usd),
        )

    def reserve_target(self, reserve0: Decimal) -> Decimal:
        """The config requires a positive target: the starting reserve, at least 10 % of the
        collateral (the crash rule gives 0 from HF 2)."""
        if self.reserve_target_usd is not None:
            return self.reserve_target_usd
        return max(reserve0, self.collateral_usd / 10)

    def reserve_for(self, collateral_usd: Decimal, debt: Decimal) -> Decimal:
        if self.reserve_usd is not None:
            return self.reserve_usd
        left = collateral_usd * (1 - self.reserve_crash_fraction) * self.liquidation_threshold
        return max(debt - left, Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestSeries:
    """Hour by hour, for plots."""

    times: tuple[str, ...]
    price: tuple[float, ...]  # mark close
    hf: tuple[float, ...]
    hedge_usd: tuple[float, ...]  # short notional at the mark
    repaid_usd: tuple[float, ...]  # cumulative debt repaid by the bot
    reserve_usd: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestRun:
    policy: str
    mode: str
    liquidations: int  # liquidationCall count
    liquidation_loss_usd: Decimal  # collateral value seized minus debt covered
    collateral_lost_units: Decimal
    collateral_kept_fraction: Decimal
    bad_debt_usd: Decimal
    hedge_liquidations: int
    fees_usd: Decimal
    slippage_usd: Decimal
    funding_usd: Decimal  # received (+) / paid (-)
    hedge_pnl_usd: Decimal  # after all costs
    hedge_capital_usd: Decimal  # outside money put on the exchange (the starting margin)
    gas_usd: Decimal  # repays and deposits
    withdraw_fees_usd: Decimal  # Binance's withdrawal fee
    withdrawn_usd: Decimal  # gross, exchange -> reserve wallet
    deposited_usd: Decimal  # reserve wallet -> exchange
    transfers: int
    capital_alerts: int  # transfers wanted and not made (disabled, caps, nothing movable...)
    # (hours since the first open, "repay" / "withdraw" / "deposit", USD): repays at the
    # oracle price, withdrawals gross; what the day caps count.
    moves: tuple[tuple[float, str, Decimal], ...]
    repaid_from_reserve_usd: Decimal
    repaid_from_hedge_usd: Decimal
    reserve_start_usd: Decimal
    reserve_end_usd: Decimal
    min_hf: Decimal
    pnl_usd: Decimal  # final wealth minus initial wealth
    orders: int
    events: tuple[LiquidationEvent, ...]
    series: BacktestSeries
    # Largest fall of wealth (collateral - debt + reserve + exchange equity - gas, at hourly
    # closes) from its running peak, as a fraction of that peak.
    max_drawdown: Decimal = Decimal(0)
    # Bar index of each short liquidation, like ``events``' hours (plots mark them).
    hedge_liquidation_hours: tuple[int, ...] = ()

    @property
    def hedge_cost_usd(self) -> Decimal:
        return self.fees_usd + self.slippage_usd - self.funding_usd

    @property
    def frictions_usd(self) -> Decimal:
        """Everything paid to move and hold the hedge: fees, slippage, gas and withdrawal
        fees, less funding received."""
        return self.hedge_cost_usd + self.gas_usd + self.withdraw_fees_usd


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestResult:
    window: str
    symbol: str
    hours: int
    mark_proxied_hours: int
    funding_settlements: int
    runs: tuple[BacktestRun, ...] = field(default_factory=tuple)
    elapsed_s: float = 0.0
    cycles: int = 0  # policy + planner cycles actually run

"""Map a deployment config onto the simulator's parameters (``hedgebot simulate``/``backtest``).

The loan comes from the config's ``simulation`` section; hedge venue, leverage, band, fees and
the protect trigger/target come from the sections the daemon itself uses, so a simulation shows
what the configured policy would do.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.config.models import (
    HealthTargetPolicyConfig,
    HedgebotConfig,
    LadderPolicyConfig,
    LossFractionPolicyConfig,
    PolicyConfig,
    RatioPolicyConfig,
    SimulationConfig,
)
from bot.sim.backtest_params import DEFAULT_BACKTEST_POLICIES, BacktestParams
from bot.sim.params import (
    DEFAULT_POLICIES,
    AssetModel,
    HedgeModel,
    LoanModel,
    MarketModel,
    PolicySpec,
    ProtectModel,
    SimulationParams,
)
from bot.sim.paths import estimate_market

# Typical annual volatility of the majors (2020-2026 hourly data), used when none is given.
DEFAULT_VOLATILITY = {"BTC": 0.6, "ETH": 0.75, "BNB": 0.7}


class SimulationConfigError(ValueError):
    pass


def _section(config: HedgebotConfig) -> SimulationConfig:
    if config.simulation is None:
        raise SimulationConfigError(
            "the config has no simulation section: add simulation.collateral "
            "(token: {units, liquidation_threshold}) and simulation.debt_usd"
        )
    return config.simulation


def policy_spec(policy: PolicyConfig) -> PolicySpec:
    match policy:
        case RatioPolicyConfig():
            return PolicySpec(kind="ratio", r=float(policy.r))
        case LossFractionPolicyConfig():
            return PolicySpec(kind="loss_fraction", f=float(policy.f))
        case HealthTargetPolicyConfig():
            return PolicySpec(
                kind="health_target", target_hf=float(policy.target_hf), r_max=float(policy.r_max)
            )
        case LadderPolicyConfig():
            return PolicySpec(
                kind="ladder",
                r_min=float(policy.r_min),
                r_max=float(policy.r_max),
                hf_high=float(policy.hf_high),
                hf_low=float(policy.hf_low),
                hysteresis_hf=float(policy.hysteresis),
            )
        case _:
            return PolicySpec(kind="none")


def _underlyings(config: HedgebotConfig, sim: SimulationConfig) -> list[str]:
    out: list[str] = []
    for token in sim.collateral:
        mapping = config.tokens.get(token)
        if mapping is None:
            raise SimulationConfigError(f"simulation.collateral.{token}: not in tokens")
        if mapping.underlying == "USD":
            raise SimulationConfigError(f"simulation.collateral.{token}: a stablecoin")
        if mapping.underlying not in out:
            out.append(mapping.underlying)
    return out


def market_model(config: HedgebotConfig, base_dir: Path) -> MarketModel:
    sim = _section(config)
    names = _underlyings(config, sim)
    if sim.price_files:
        files = {u: (base_dir / sim.price_files[u]) for u in names if u in sim.price_files}
        missing = [u for u in names if u not in files]
        if missing:
            raise SimulationConfigError(f"simulation.price_files lacks {missing}")
        s0 = {u: float(sim.prices_usd[u]) for u in names if u in sim.prices_usd}
        return estimate_market(files, s0=s0 or None)
    assets = []
    for u in names:
        if u not in sim.prices_usd:
            raise SimulationConfigError(f"simulation.prices_usd.{u}: the starting price is needed")
        jump = sim.jumps.get(u)
        assets.append(
            AssetModel(
                symbol=u,
                s0=float(sim.prices_usd[u]),
                mu=float(sim.drift.get(u, Decimal(0))),
                sigma=float(sim.volatility.get(u, Decimal(str(DEFAULT_VOLATILITY.get(u, 0.8))))),
                jump_intensity=float(jump.intensity_per_year) if jump else 0.0,
                jump_mean=float(jump.mean_log) if jump else 0.0,
                jump_std=float(jump.std_log) if jump else 0.0,
            )
        )
    correlation = None
    if sim.correlation is not None:
        correlation = tuple(tuple(float(x) for x in row) for row in sim.correlation)
    return MarketModel(assets=tuple(assets), correlation=correlation)


def simulation_params(
    config: HedgebotConfig,
    *,
    base_dir: Path,
    n_paths: int | None = None,
    horizon_days: int | None = None,
    seed: int | None = None,
) -> SimulationParams:
    sim = _section(config)
    market = market_model(config, base_dir)
    units: dict[str, float] = dict.fromkeys(market.symbols, 0.0)
    lts: dict[str, float] = dict.fromkeys(market.symbols, 0.0)
    bonus: dict[str, float] = dict.fromkeys(market.symbols, 0.0)
    for token, c in sim.collateral.items():
        u = config.tokens[token].underlying
        units[u] += float(c.units)
        lts[u] = float(c.liquidation_threshold)
        bonus[u] = float(c.liquidation_bonus)
    hedge = config.hedge
    protect = config.protect
    policies = tuple(policy_spec(p) for p in sim.policies) or DEFAULT_POLICIES
    return SimulationParams(
        market=market,
        loan=LoanModel(
            collateral_units=tuple(units[s] for s in market.symbols),
            liquidation_threshold=tuple(lts[s] for s in market.symbols),
            liquidation_bonus=tuple(bonus[s] for s in market.symbols),
            debt_usd=float(sim.debt_usd),
            borrow_apr=float(sim.borrow_apr),
        ),
        hedge=HedgeModel(
            venue="inverse" if hedge.venue == "coinm" else "linear",
            leverage=float(hedge.leverage),
            band_rel=float(hedge.band.rel),
            band_abs_usd=float(hedge.band.abs_usd),
            taker_fee=float(config.paper.taker_fee),
            slippage=float(config.paper.slippage),
            funding_rate_per_hour=float(sim.funding_rate_per_8h) / 8,
            min_short_liq_distance=float(hedge.min_short_liq_distance),
            count_margin_delta=hedge.count_margin_as_exposure,
        ),
        protect=ProtectModel(
            trigger_hf=float(protect.trigger_hf) if protect else 1.3,
            target_hf=float(protect.target_hf) if protect else 1.6,
            reserve_usd=float(sim.reserve_usd),
            transfer_delay_hours=float(sim.transfer_delay_hours),
        ),
        policies=policies,
        n_paths=n_paths or sim.n_paths,
        horizon_hours=(horizon_days or sim.horizon_days) * 24,
        seed=sim.seed if seed is None else seed,
    )


# Without a simulation section: the seed article's example (BacktestParams' defaults).
DEFAULT_RISK = (Decimal("0.75"), Decimal("0.05"))


def _risk_params(config: HedgebotConfig, underlying: str | None) -> tuple[str, Decimal, Decimal]:
    """The underlying to replay and its LT and liquidation bonus, from the config's
    ``simulation.collateral`` (first) or ``simulation.risk_params``. With no simulation
    section, BTC (unless given) with LT 0.75 and bonus 5 %."""
    sim = config.simulation
    if sim is None:
        return underlying or "BTC", *DEFAULT_RISK
    for table in (sim.collateral, sim.risk_params):
        for token, c in table.items():
            mapping = config.tokens.get(token)
            u = mapping.underlying if mapping else None
            if u is not None and (underlying is None or underlying == u):
                return u, c.liquidation_threshold, c.liquidation_bonus
    raise SimulationConfigError(
        f"no liquidation threshold and bonus for {underlying}: add its token to "
        "simulation.collateral or simulation.risk_params (token: {liquidation_threshold, "
        "liquidation_bonus})"
    )


def _collateral_values(config: HedgebotConfig) -> dict[str, Decimal]:
    """Underlying -> USD value of the configured collateral at ``simulation.prices_usd``
    (empty unless every collateral has a price)."""
    sim = config.simulation
    out: dict[str, Decimal] = {}
    if sim is None:
        return out
    for token, c in sim.collateral.items():
        mapping = config.tokens.get(token)
        if mapping is None or mapping.underlying not in sim.prices_usd:
            return {}
        u = mapping.underlying
        out[u] = out.get(u, Decimal(0)) + c.units * sim.prices_usd[u]
    return out


def backtest_params(
    config: HedgebotConfig,
    *,
    underlying: str | None = None,
    collateral_usd: Decimal | None = None,
    start_hf: Decimal = Decimal("1.5"),
) -> BacktestParams:
    """One-collateral backtest of the configured hedge and protection on ``underlying``.

    Collateral: ``collateral_usd``, else the configured amount of ``underlying`` at
    ``simulation.prices_usd``, else $10,000. A configured reserve keeps its share of the
    configured collateral's value."""
    chosen, lt, bonus = _risk_params(config, underlying)
    sim = config.simulation
    symbol = config.hedge.symbols.get(chosen, f"{chosen}USDT")
    if symbol.endswith("_PERP"):
        symbol = f"{chosen}USDT"  # the backtest replays USD-M perp data
    protect = config.protect
    policies = tuple(sim.policies) if sim and sim.policies else DEFAULT_BACKTEST_POLICIES
    values = _collateral_values(config)
    collateral = collateral_usd or values.get(chosen) or Decimal(10_000)
    reserve = sim.reserve_usd if sim and sim.reserve_usd > 0 else None
    if reserve is not None and values:
        # The configured reserve backs the whole configured loan: keep its share of collateral.
        reserve = reserve * collateral / sum(values.values())
    return BacktestParams(
        underlying=chosen,
        symbol=symbol,
        collateral_usd=collateral,
        liquidation_threshold=lt,
        liquidation_bonus=bonus,
        start_hf=start_hf,
        policies=policies,
        leverage=config.hedge.leverage,
        band_rel=config.hedge.band.rel,
        band_abs_usd=config.hedge.band.abs_usd,
        taker_fee=config.paper.taker_fee,
        slippage=config.paper.slippage,
        min_short_liq_distance=config.hedge.min_short_liq_distance,
        margin_safety_factor=config.hedge.margin_safety_factor,
        trigger_hf=protect.trigger_hf if protect else Decimal("1.3"),
        target_hf=protect.target_hf if protect else Decimal("1.6"),
        reserve_usd=reserve,
    )

"""Warnings about a valid config that a user should hear before trading on it."""

from __future__ import annotations

import ipaddress
from decimal import Decimal

from bot.config.models import HedgebotConfig
from bot.core.margin_need import short_margin_fraction
from bot.core.reserve import worst_fall_for

HIGH_LEVERAGE = 10
# First-bracket maintenance margin rate of BTC/ETH/BNB USD-M contracts.
_MAINT_MARGIN_RATE = Decimal("0.004")


def rally_that_liquidates(
    leverage: int, maint_margin_rate: Decimal = _MAINT_MARGIN_RATE
) -> Decimal:
    """The price rise (fraction) that liquidates a short holding only its initial margin."""
    return Decimal(1) / Decimal(leverage) - maint_margin_rate


def config_warnings(config: HedgebotConfig, *, have_api_keys: bool) -> list[str]:
    warnings = []
    lev = config.hedge.leverage
    if lev > HIGH_LEVERAGE:
        rally = rally_that_liquidates(lev) * 100
        warnings.append(
            f"hedge.leverage {lev}x: a rally of about {rally:.1f} % liquidates the short hedge "
            f"(measured 2020-2026: unmanaged 20x shorts die in 87 % of 90-day periods); "
            f"hedgebot keeps the liquidation distance above "
            f"{config.hedge.min_short_liq_distance * 100:.0f} % by adding margin or shrinking"
        )
    if not have_api_keys:
        warnings.append(
            "no BINANCE_API_KEY / BINANCE_API_SECRET set: DRY-RUN, orders go to the paper "
            "exchange and nothing is traded"
        )
    exposed = _metrics_exposure(config.metrics.host)
    if exposed:
        warnings.append(exposed)
    short = reserve_shortfall(config)
    if short is not None:
        warnings.append(short)
    if config.protect is None and config.hedge.policy.kind == "none":
        warnings.append(
            "NOTHING PROTECTS THIS POSITION: no protect section and no hedge (hedge.policy is "
            "none, its default): the loan is liquidated as if hedgebot were not running; "
            "configure repay-from-reserve"
        )
    elif config.protect is None:
        warnings.append(
            "no protect section: a hedge alone does not prevent liquidation (its gains stay on "
            "the exchange); configure repay-from-reserve"
        )
    return warnings


def simulated_reserve_need(config: HedgebotConfig) -> tuple[Decimal, str] | None:
    """USD to repay so the ``simulation`` loan keeps HF >= 1 through its collateral's deepest
    measured 90-day fall, and that fall in words; None without a priced loan."""
    sim = config.simulation
    if sim is None:
        return None
    weighted = Decimal(0)
    held = set()
    for token, c in sim.collateral.items():
        mapping = config.tokens.get(token)
        if mapping is None or mapping.underlying not in sim.prices_usd:
            return None
        held.add(mapping.underlying)
        weighted += c.units * sim.prices_usd[mapping.underlying] * c.liquidation_threshold
    fall = worst_fall_for(sorted(held))
    if fall is None:
        return None
    return max(sim.debt_usd - weighted * (1 - fall.fraction), Decimal(0)), fall.words()


def simulated_margin_need(config: HedgebotConfig) -> str | None:
    """What the configured hedge policy's largest short on the ``simulation`` loan needs in
    margin to stay ``hedge.min_short_liq_distance`` from its liquidation price; None without a
    hedge or a priced loan."""
    sim, policy = config.simulation, config.hedge.policy
    if sim is None or policy.kind == "none":
        return None
    short = Decimal(0)
    for token, c in sim.collateral.items():
        mapping = config.tokens.get(token)
        if mapping is None or mapping.underlying not in sim.prices_usd:
            return None
        if mapping.underlying == "USD":
            continue
        value = c.units * sim.prices_usd[mapping.underlying]
        short += value * policy.largest_ratio(c.liquidation_threshold)
    distance = config.hedge.min_short_liq_distance
    margin = short * short_margin_fraction(distance, _MAINT_MARGIN_RATE)
    return (
        f"hedge.policy {policy.kind} at its largest shorts ${short:,.2f} of the simulation "
        f"loan's collateral; holding that short {distance:.0%} from its liquidation price "
        f"takes ${margin:,.2f} of margin on the exchange"
    )


def config_notes(config: HedgebotConfig) -> list[str]:
    """What the configured policy needs in reserve and margin, for ``check-config``."""
    notes = []
    reserve = simulated_reserve_need(config)
    if reserve is not None and reserve_shortfall(config) is None:  # else a warning says it
        amount, words = reserve
        notes.append(
            f"the simulation loan needs a reserve of ${amount:,.2f} to survive {words} by "
            "repaying alone"
        )
    margin = simulated_margin_need(config)
    if margin is not None:
        notes.append(margin)
    return notes


def reserve_shortfall(config: HedgebotConfig) -> str | None:
    """The configured reserve (the capital loop's target, else the simulation's reserve)
    under what the simulated loan's worst measured fall needs."""
    need = simulated_reserve_need(config)
    if need is None or config.protect is None:
        return None
    amount, words = need
    if config.capital is not None:
        have, name = config.capital.reserve_target_usd, "capital.reserve_target_usd"
    elif config.simulation is not None and config.simulation.reserve_usd > 0:
        have, name = config.simulation.reserve_usd, "simulation.reserve_usd"
    else:
        return None
    if have >= amount:
        return None
    return (
        f"{name} ${have:,.2f} is ${amount - have:,.2f} short of the ${amount:,.2f} the "
        f"simulation loan needs to survive {words} by repaying alone (no hedge profit counted)"
    )


def _metrics_exposure(host: str) -> str | None:
    """A warning when /metrics (unauthenticated) is bound beyond this machine."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass  # a host name: it may resolve to any interface
    everywhere = host in ("0.0.0.0", "::")  # noqa: S104 - the addresses being warned about
    reach = "EVERY network interface" if everywhere else "an address other machines can reach"
    return (
        f"metrics.host {host}: /metrics and /healthz are served WITHOUT authentication on "
        f"{reach}: anyone who reaches the port reads health factors, hedge sizes and orders; "
        "bind 127.0.0.1, or publish the port only on a private network or behind an "
        "authenticating proxy"
    )

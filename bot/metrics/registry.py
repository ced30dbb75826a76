"""Prometheus metrics of one hedgebot process, on a dedicated ``CollectorRegistry``.

A dedicated registry (not prometheus-client's global one) keeps tests and several daemons in
one process independent. Metric values are floats: they are for dashboards, not for money, so
Decimals are converted at this edge only (an infinite HF is exported as ``+Inf``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.model import OrderStatus

# Cycles run every 0.45 s at the fastest, every few seconds normally.
CYCLE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# One RPC call or one REST request.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


GUARD_STATES = ("running", "stopped", "watch_only", "stalled")


class HedgebotMetrics:
    """Every metric the daemon exports, with typed setters named after what they record."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.health_factor = Gauge(
            "hedgebot_health_factor",
            "Lending position health factor (source: oracle = on-chain prices, "
            "shadow = exchange mark prices)",
            ["position", "source"],
            registry=r,
        )
        self.liquidation_distance = Gauge(
            "hedgebot_liquidation_distance_ratio",
            "Fractional price move of the underlying that reaches liquidation "
            "(side: defi = lending position, futures = hedge position)",
            ["position", "underlying", "side"],
            registry=r,
        )
        self.hedge_target = Gauge(
            "hedgebot_hedge_target_short_usd",
            "Short notional the policy wants, USD",
            ["position", "underlying"],
            registry=r,
        )
        self.hedge_current = Gauge(
            "hedgebot_hedge_current_short_usd",
            "Short notional currently held on the exchange, USD",
            ["position", "underlying"],
            registry=r,
        )
        self.stream_streaming = Gauge(
            "hedgebot_stream_streaming",
            "1 while a Binance stream answers (streaming), 0 while REST does (rest-fallback)",
            ["stream"],
            registry=r,
        )
        self.stream_age = Gauge(
            "hedgebot_stream_mark_age_seconds",
            "Age of the oldest streamed mark of the stream's symbols",
            ["stream"],
            registry=r,
        )
        self.mark_rest_fallbacks = Gauge(
            "hedgebot_stream_mark_rest_fallbacks",
            "Mark reads answered by REST because no fresh streamed mark was held (since start)",
            registry=r,
        )
        self.orders = Counter(
            "hedgebot_orders",
            "Orders by final or latest status reported by the venue",
            ["position", "status"],
            registry=r,
        )
        self.cycles = Counter(
            "hedgebot_cycles", "Cycles by outcome", ["position", "outcome"], registry=r
        )
        self.cycle_duration = Histogram(
            "hedgebot_cycle_duration_seconds",
            "Wall time of one cycle",
            ["position"],
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.rpc_latency = Histogram(
            "hedgebot_rpc_latency_seconds",
            "Latency of chain RPC calls",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.exchange_latency = Histogram(
            "hedgebot_exchange_latency_seconds",
            "Latency of exchange REST requests",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.exchange_used_weight = Gauge(
            "hedgebot_exchange_used_weight",
            "Request weight used in the current minute (X-MBX-USED-WEIGHT-1M)",
            ["venue"],
            registry=r,
        )
        self.last_successful_cycle = Gauge(
            "hedgebot_last_successful_cycle_timestamp_seconds",
            "Unix time at which the latest successful cycle finished",
            ["position"],
            registry=r,
        )
        self.ha_leader = Gauge(
            "hedgebot_ha_leader",
            "1 while this replica leads (acts), 0 while it follows (ha.enabled only)",
            registry=r,
        )
        self.paused = Gauge(
            "hedgebot_paused", "1 while trading is paused (operator or circuit breaker)", registry=r
        )
        self.guard_state = Gauge(
            "hedgebot_guard_state",
            "1 for the liquidation guard's current state (running, stopped, watch_only, "
            "stalled), 0 for the others",
            ["position", "state"],
            registry=r,
        )
        self.guard_ticks = Counter(
            "hedgebot_guard_ticks",
            "Guard reads by verdict (healthy, repay, tx_in_flight, failed...)",
            ["position", "verdict"],
            registry=r,
        )
        self.guard_txs = Counter(
            "hedgebot_guard_transactions",
            "Repay, supply and approve transactions the guard settled, by status",
            ["position", "kind", "status"],
            registry=r,
        )
        self.money_moves = Counter(
            "hedgebot_money_moves",
            "Withdrawals and deposits by the stage they reached",
            ["kind", "stage"],
            registry=r,
        )
        self.money_moved = Counter(
            "hedgebot_money_moved_usd",
            "Stablecoin USD withdrawn to the reserve or deposited as margin (settled moves)",
            ["kind"],
            registry=r,
        )
        self.capital_decisions = Counter(
            "hedgebot_capital_decisions",
            "Capital loop passes by verdict (move, hold, alert) and alert reason",
            ["verdict", "reason"],
            registry=r,
        )
        self.alerts = Counter(
            "hedgebot_alerts",
            "Alert deliveries by sink and outcome",
            ["sink", "outcome"],
            registry=r,
        )

    def set_health_factors(
        self, *, position: str, oracle_hf: Decimal | None, shadow_hf: Decimal | None
    ) -> None:
        for source, value in (("oracle", oracle_hf), ("shadow", shadow_hf)):
            if value is not None:
                self.health_factor.labels(position=position, source=source).set(float(value))

    def set_liquidation_distance(
        self, *, position: str, underlying: str, distance: Decimal, side: str = "defi"
    ) -> None:
        self.liquidation_distance.labels(position=position, underlying=underlying, side=side).set(
            float(distance)
        )

    def set_hedge(
        self,
        *,
        position: str,
        underlying: str,
        target_short_usd: Decimal,
        current_short_usd: Decimal,
    ) -> None:
        self.hedge_target.labels(position=position, underlying=underlying).set(
            float(target_short_usd)
        )
        self.hedge_current.labels(position=position, underlying=underlying).set(
            float(current_short_usd)
        )

    def set_stream(self, *, stream: str, streaming: bool, age_secs: float | None) -> None:
        self.stream_streaming.labels(stream=stream).set(1 if streaming else 0)
        if age_secs is not None:
            self.stream_age.labels(stream=stream).set(age_secs)

    def set_mark_rest_fallbacks(self, count: int) -> None:
        self.mark_rest_fallbacks.set(count)

    def count_order(self, *, position: str, status: OrderStatus | str) -> None:
        self.orders.labels(position=position, status=str(status)).inc()

    def observe_cycle(
        self,
        *,
        position: str,
        duration_s: float,
        outcome: str,
        finished_at: datetime | None = None,
    ) -> None:
        """Count a cycle; an ``ok`` one with ``finished_at`` also moves the last-success time."""
        self.cycles.labels(position=position, outcome=str(outcome)).inc()
        self.cycle_duration.labels(position=position).observe(duration_s)
        if str(outcome) == "ok" and finished_at is not None:
            self.last_successful_cycle.labels(position=position).set(finished_at.timestamp())

    def observe_rpc(self, *, method: str, seconds: float) -> None:
        self.rpc_latency.labels(method=method).observe(seconds)

    def observe_exchange(self, *, endpoint: str, seconds: float) -> None:
        self.exchange_latency.labels(endpoint=endpoint).observe(seconds)

    def set_used_weight(self, *, venue: str, weight: int) -> None:
        self.exchange_used_weight.labels(venue=venue).set(weight)

    def set_ha_leader(self, leader: bool) -> None:
        self.ha_leader.set(1 if leader else 0)

    def set_paused(self, paused: bool) -> None:
        self.paused.set(1 if paused else 0)

    def set_guard_state(self, *, position: str, state: str) -> None:
        for known in GUARD_STATES:
            self.guard_state.labels(position=position, state=known).set(1 if known == state else 0)

    def count_guard_tick(self, *, position: str, verdict: str) -> None:
        self.guard_ticks.labels(position=position, verdict=verdict).inc()

    def count_guard_tx(self, *, position: str, kind: str, status: str) -> None:
        self.guard_txs.labels(position=position, kind=kind, status=status).inc()

    def count_money_move(self, *, kind: str, stage: str, amount: Decimal | None) -> None:
        self.money_moves.labels(kind=kind, stage=stage).inc()
        if amount is not None:
            self.money_moved.labels(kind=kind).inc(float(amount))

    def count_capital_decision(self, *, verdict: str, reason: str) -> None:
        self.capital_decisions.labels(verdict=verdict, reason=reason).inc()

    def count_alert(self, sink: str, outcome: str) -> None:
        """Matches ``AlertDispatcher(on_delivery=...)``."""
        self.alerts.labels(sink=sink, outcome=str(outcome)).inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)

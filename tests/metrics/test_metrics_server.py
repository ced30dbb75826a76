"""Metrics and health over real HTTP: the server on 127.0.0.1 with an OS-chosen port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.model import OrderStatus
from bot.metrics import HealthTracker, HedgebotMetrics, MetricsServer

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def metrics() -> HedgebotMetrics:
    return HedgebotMetrics()


@pytest.fixture
def health(clock: FakeClock) -> HealthTracker:
    tracker = HealthTracker(max_missed=3, clock=clock)
    tracker.register("main", interval_s=2.0)
    return tracker


@pytest.fixture
def server(metrics: HedgebotMetrics, health: HealthTracker) -> Iterator[MetricsServer]:
    with MetricsServer(metrics, health, port=0) as running:
        yield running


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_port_zero_binds_a_free_loopback_port(server: MetricsServer) -> None:
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_metrics_are_served_in_the_prometheus_format(
    server: MetricsServer, metrics: HedgebotMetrics
) -> None:
    metrics.set_health_factors(
        position="main", oracle_hf=Decimal("1.4123"), shadow_hf=Decimal("Infinity")
    )
    metrics.set_liquidation_distance(position="main", underlying="BNB", distance=Decimal("0.31"))
    metrics.set_liquidation_distance(
        position="main", underlying="BNB", distance=Decimal("0.55"), side="futures"
    )
    metrics.set_hedge(
        position="main",
        underlying="BNB",
        target_short_usd=Decimal("2500.5"),
        current_short_usd=Decimal("2400"),
    )
    metrics.count_order(position="main", status=OrderStatus.FILLED)
    metrics.count_order(position="main", status=OrderStatus.FILLED)
    metrics.count_order(position="main", status=OrderStatus.REJECTED)
    metrics.observe_cycle(
        position="main", duration_s=0.12, outcome="ok", finished_at=START + timedelta(seconds=1)
    )
    metrics.observe_cycle(position="main", duration_s=3.0, outcome="failed")
    metrics.observe_rpc(method="getUserAccountData", seconds=0.03)
    metrics.observe_exchange(endpoint="POST /fapi/v1/order", seconds=0.08)
    metrics.set_used_weight(venue="usdm", weight=57)
    metrics.set_paused(True)
    metrics.count_alert("telegram", "sent")

    response = httpx.get(f"{server.url}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    assert got[("hedgebot_health_factor", (("position", "main"), ("source", "oracle")))] == 1.4123
    assert got[("hedgebot_health_factor", (("position", "main"), ("source", "shadow")))] == float(
        "inf"
    )
    assert (
        got[
            (
                "hedgebot_liquidation_distance_ratio",
                (("position", "main"), ("side", "futures"), ("underlying", "BNB")),
            )
        ]
        == 0.55
    )
    main_bnb = (("position", "main"), ("underlying", "BNB"))
    assert got[("hedgebot_hedge_target_short_usd", main_bnb)] == 2500.5
    assert got[("hedgebot_hedge_current_short_usd", main_bnb)] == 2400.0
    assert got[("hedgebot_orders_total", (("position", "main"), ("status", "FILLED")))] == 2
    assert got[("hedgebot_orders_total", (("position", "main"), ("status", "REJECTED")))] == 1
    assert got[("hedgebot_cycles_total", (("outcome", "failed"), ("position", "main")))] == 1
    assert got[("hedgebot_cycle_duration_seconds_count", (("position", "main"),))] == 2
    assert (
        got[("hedgebot_cycle_duration_seconds_bucket", (("le", "0.25"), ("position", "main")))] == 1
    )
    assert (
        got[("hedgebot_last_successful_cycle_timestamp_seconds", (("position", "main"),))]
        == (START + timedelta(seconds=1)).timestamp()
    )
    assert got[("hedgebot_rpc_latency_seconds_count", (("method", "getUserAccountData"),))] == 1
    assert (
        got[("hedgebot_exchange_latency_seconds_count", (("endpoint", "POST /fapi/v1/order"),))]
        == 1
    )
    assert got[("hedgebot_exchange_used_weight", (("venue", "usdm"),))] == 57
    assert got[("hedgebot_paused", ())] == 1
    assert got[("hedgebot_alerts_total", (("outcome", "sent"), ("sink", "telegram")))] == 1


def test_healthz_fails_once_cycles_stop_succeeding(
    server: MetricsServer, health: HealthTracker, clock: FakeClock
) -> None:
    healthz = f"{server.url}/healthz"

    starting = httpx.get(healthz)
    assert starting.status_code == 200  # inside the start-up grace of 3 x 2 s
    assert starting.json()["status"] == "ok"

    clock.now = START + timedelta(seconds=7)
    never = httpx.get(healthz)
    assert never.status_code == 503
    assert never.json()["reason"] == ("main: no successful cycle in 7.0 s since start (limit 6 s)")

    health.record_success("main", clock.now)
    clock.now += timedelta(seconds=5)
    ok = httpx.get(healthz)
    assert ok.status_code == 200
    assert ok.json()["positions"]["main"]["age_s"] == 5.0

    clock.now += timedelta(seconds=2)
    stale = httpx.get(healthz)
    assert stale.status_code == 503
    body = stale.json()
    assert body["status"] == "unhealthy"
    assert body["reason"] == "main: last successful cycle 7.0 s ago (limit 6 s)"


def test_each_position_must_be_cycling(
    server: MetricsServer, health: HealthTracker, clock: FakeClock
) -> None:
    health.register("eth", interval_s=10.0)
    health.record_success("main", START)
    clock.now = START + timedelta(seconds=20)
    health.record_success("main", clock.now)

    response = httpx.get(f"{server.url}/healthz")

    assert response.status_code == 200  # eth: 20 s < 3 x 10 s
    clock.now += timedelta(seconds=11)
    health.record_success("main", clock.now)
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 503
    assert response.json()["reason"].startswith("eth: no successful cycle")


def test_unknown_paths_are_404(server: MetricsServer) -> None:
    response = httpx.get(f"{server.url}/admin")
    assert response.status_code == 404


def test_stop_releases_the_port(metrics: HedgebotMetrics, health: HealthTracker) -> None:
    server = MetricsServer(metrics, health)
    port = server.start()
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200

    server.stop()
    server.stop()  # idempotent

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")
    with MetricsServer(metrics, health, port=port) as again:  # the port is free again
        assert again.port == port


def test_two_metric_sets_do_not_share_a_registry() -> None:
    first, second = HedgebotMetrics(), HedgebotMetrics()
    first.set_paused(True)
    assert b"hedgebot_paused 1.0" in first.render()
    assert b"hedgebot_paused 0.0" in second.render()


def test_a_busy_port_is_named_in_the_error(
    server: MetricsServer, metrics: HedgebotMetrics, health: HealthTracker
) -> None:
    with pytest.raises(OSError, match=f"127.0.0.1:{server.port}"):
        MetricsServer(metrics, health, port=server.port).start()


def test_success_for_an_unregistered_position_is_an_error(health: HealthTracker) -> None:
    with pytest.raises(KeyError, match="ghost"):
        health.record_success("ghost", START)

"""Network selection (no request is made) and the pure retry policy."""

from __future__ import annotations

import random

import pytest
from binance.client import Client
from hypothesis import given
from hypothesis import strategies as st

from bot.exchange.binance import BinanceFutures, MainnetNotAllowedError, Network, make_client
from bot.exchange.binance.retry import RetryPolicy, backoff_delay, retry_after_secs


def usdm_url(client: Client) -> str:
    """The URL python-binance builds for futures_time() (testnet/demo win over FUTURES_URL)."""
    return str(client._create_futures_api_uri("time"))


def coinm_url(client: Client) -> str:
    return str(client._create_futures_coin_api_url("time"))


def test_testnet_is_the_default_and_never_pings() -> None:
    ex = BinanceFutures(symbols={"BNBUSDT": "usdm"}, api_key="k", api_secret="s")

    client = ex.transport.client
    assert usdm_url(client) == "https://testnet.binancefuture.com/fapi/v1/time"
    assert coinm_url(client) == "https://testnet.binancefuture.com/dapi/v1/time"
    assert client.response is None  # constructed without a single request


def test_demo_uses_the_demo_hosts() -> None:
    client = make_client(network="demo", api_key="k", api_secret="s")

    assert usdm_url(client) == "https://demo-fapi.binance.com/fapi/v1/time"
    assert coinm_url(client) == "https://demo-dapi.binance.com/dapi/v1/time"


def test_mainnet_needs_explicit_permission() -> None:
    with pytest.raises(MainnetNotAllowedError, match="--live"):
        BinanceFutures(symbols={"BNBUSDT": "usdm"}, network=Network.MAINNET)

    client = make_client(network="mainnet", api_key="k", api_secret="s", allow_mainnet=True)
    assert usdm_url(client) == "https://fapi.binance.com/fapi/v1/time"


def test_custom_base_url_points_every_product_there_and_sets_recv_window() -> None:
    client = make_client(
        network="custom",
        api_key="k",
        api_secret="s",
        base_url="http://127.0.0.1:8080/",
        recv_window_ms=3000,
    )

    assert usdm_url(client) == "http://127.0.0.1:8080/fapi/v1/time"
    assert coinm_url(client) == "http://127.0.0.1:8080/dapi/v1/time"
    assert client.API_URL == "http://127.0.0.1:8080/api"
    assert client.REQUEST_RECVWINDOW == 3000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"network": "custom"}, "needs base_url"),
        ({"network": "testnet", "base_url": "http://x"}, "use custom"),
        ({"network": "testnet", "recv_window_ms": 60000}, "recv_window_ms"),
    ],
)
def test_inconsistent_network_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_client(api_key="k", api_secret="s", **kwargs)  # type: ignore[arg-type]


@given(attempt=st.integers(min_value=0, max_value=30), u=st.floats(min_value=0, max_value=0.999))
def test_backoff_grows_exponentially_within_jitter_and_cap(attempt: int, u: float) -> None:
    policy = RetryPolicy(base_delay_secs=0.5, max_delay_secs=10, jitter=0.5)

    delay = backoff_delay(policy, attempt, u)

    ceiling = min(10.0, 0.5 * 2**attempt)
    assert ceiling * 0.5 <= delay <= ceiling


def test_seeded_jitter_is_reproducible() -> None:
    policy = RetryPolicy()
    first = [
        backoff_delay(policy, n, r)
        for n, r in enumerate(random.Random(7).random() for _ in range(5))
    ]
    second = [
        backoff_delay(policy, n, r)
        for n, r in enumerate(random.Random(7).random() for _ in range(5))
    ]

    assert first == second


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_secs({"Retry-After": "7"}, 1.0, 0.0) == 7.0
    assert retry_after_secs({}, 1.5, 0.0) == 1.5
    assert retry_after_secs({"Retry-After": "Thu, 01 Jan 1970 00:01:40 GMT"}, 1.0, 40.0) == 60.0

"""A failing RPC endpoint is named in logs and errors by scheme://host:port, never with the
credentials its URL carries (userinfo, an API-key path segment, query values)."""

from __future__ import annotations

import logging

import pytest

from bot.chain.rpc import RpcPool, RpcUnavailable
from bot.devnet.anvil import free_port

USER, PASSWORD = "canaryuser", "canarypass"
PATH_KEY = "CANARYKEY0123456789abcdef"
QUERY_KEY = "CANARYQUERYVALUE"


def _dead_url() -> tuple[str, str]:
    origin = f"http://127.0.0.1:{free_port()}"
    credentials = f"{USER}:{PASSWORD}@"
    url = f"{origin.replace('://', '://' + credentials)}/v3/{PATH_KEY}?apikey={QUERY_KEY}"
    return origin, url


def _assert_clean(text: str) -> None:
    for secret in (USER, PASSWORD, PATH_KEY, QUERY_KEY):
        assert secret not in text, f"{secret} leaked in: {text}"


def test_failover_logs_errors_and_health_keep_credentials_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    origin, url = _dead_url()
    pool = RpcPool([url], 31337, timeout_secs=1, retries=1, backoff_secs=0.01)
    with caplog.at_level(logging.INFO, logger="bot.chain.rpc"), pytest.raises(RpcUnavailable) as e:
        pool.call("block", lambda w3: w3.eth.block_number)
    message = str(e.value)
    _assert_clean(message)
    _assert_clean(caplog.text)
    (health,) = pool.health()
    _assert_clean(health.last_error)
    # the endpoint stays recognisable
    assert f"failed on {origin}/" in caplog.text
    assert f"{origin}/v3/***?apikey=***" in message
    assert "ConnectionError" in health.last_error


def test_chain_id_check_error_keeps_credentials_out() -> None:
    _, url = _dead_url()
    pool = RpcPool([url], 31337, timeout_secs=1)
    with pytest.raises(RpcUnavailable) as e:
        pool.check_chain_ids()
    _assert_clean(str(e.value))

"""The redaction processor masks every kind of secret, wherever it appears."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import structlog

from bot.logs import configure_logging, redact_secrets
from bot.redact import MASK

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
API_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
PRIVATE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
TELEGRAM_URL = (
    "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
)
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
DISCORD_URL = "https://discord.com/api/webhooks/123456789012/abcDEF-ghi_jkl"
SIGNED_QUERY = "symbol=BTCUSDT&side=SELL&timestamp=1700000000000&signature=3c2a9f0e1d"
RPC_USERINFO = "http://rpcuser:rpcpass77@127.0.0.1:8545/?apikey=k"
INFURA_URL = "https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161"
POSTGRES_URL = "postgresql://hedgebot:pgpass99@db.internal/journal"

CASES = [
    ("api key by key", {"api_key": "abc"}, "abc"),
    ("api secret by key", {"apiSecret": "xyz"}, "xyz"),
    ("binance secret as a bare value", {"value": API_SECRET}, API_SECRET),
    ("binance key in a header dict", {"headers": {"X-MBX-APIKEY": API_KEY}}, API_KEY),
    ("private key by key", {"private_key": PRIVATE_KEY}, PRIVATE_KEY),
    ("private key as a bare value", {"note": f"loaded {PRIVATE_KEY}"}, PRIVATE_KEY[2:]),
    ("signature in a query", {"url": f"/fapi/v1/order?{SIGNED_QUERY}"}, "3c2a9f0e1d"),
    ("signature in the event", {"event": f"POST {SIGNED_QUERY}"}, "3c2a9f0e1d"),
    ("telegram token in a URL", {"url": TELEGRAM_URL}, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    ("slack webhook", {"sink": SLACK_URL}, "XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("discord webhook", {"sink": DISCORD_URL}, "abcDEF-ghi_jkl"),
    ("password nested in a list", {"items": [{"password": "hunter2"}]}, "hunter2"),
    ("keystore password deep", {"a": {"b": {"keystore_password": "pw"}}}, "pw"),
    ("rpc url userinfo", {"endpoint": RPC_USERINFO}, "rpcpass77"),
    ("rpc url user", {"endpoint": RPC_USERINFO}, "rpcuser"),
    ("infura key in the event", {"event": f"rpc failed on {INFURA_URL}: x"}, INFURA_URL[-32:]),
    ("postgres password in a list", {"urls": [POSTGRES_URL]}, "pgpass99"),
    ("rpc url in an exception", {"exception": f"Traceback\nError: {RPC_USERINFO}"}, "rpcpass77"),
]


@pytest.mark.parametrize(("case", "event", "secret"), CASES, ids=[c[0] for c in CASES])
def test_secret_is_masked(case: str, event: dict[str, object], secret: str) -> None:
    event = {"event": "x", **event}
    rendered = json.dumps(redact_secrets(None, "info", event))
    assert secret not in rendered
    assert MASK in rendered


def test_ordinary_values_survive() -> None:
    tx_hash = "0x" + "ab" * 32
    event = {"event": "order placed", "symbol": "BTCUSDT", "qty": "0.010", "tx_hash": tx_hash}
    assert redact_secrets(None, "info", event) == event


def test_masking_a_query_value_keeps_the_punctuation_after_it() -> None:
    event = {"event": f"rpc failed (on {INFURA_URL}?apiKey=abc: timeout)"}
    out = redact_secrets(None, "warning", event)
    assert out["event"] == "rpc failed (on https://mainnet.infura.io/v3/***?apiKey=***: timeout)"


def test_urls_without_credentials_stay_recognisable() -> None:
    """Failover logs name the endpoint; tests and operators find it by scheme://host:port."""
    event = {"event": "rpc snapshot failed on http://127.0.0.1:8545/: boom", "url": INFURA_URL}
    out = redact_secrets(None, "warning", event)
    assert out["event"] == event["event"]
    assert out["url"] == "https://mainnet.infura.io/v3/***"


def test_json_lines_carry_cycle_and_position_and_no_secret() -> None:
    code = f"""
import structlog
from bot.logs import configure_logging, bind_cycle
configure_logging(fmt="json")
log = structlog.get_logger()
with bind_cycle(position="main", cycle_id="c42"):
    log.info("placing", api_secret="{API_SECRET}", query="{SIGNED_QUERY}")
    try:
        raise RuntimeError("boom {PRIVATE_KEY}")
    except RuntimeError:
        log.exception("failed")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 2
    assert all(line["cycle_id"] == "c42" and line["position"] == "main" for line in lines)
    for secret in (API_SECRET, "3c2a9f0e1d", PRIVATE_KEY[2:]):
        assert secret not in result.stderr


def test_stdlib_loggers_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json")
    logging.getLogger("urllib3").warning("GET %s", f"/fapi/v1/order?{SIGNED_QUERY}")
    captured = capsys.readouterr()
    assert "/fapi/v1/order" in captured.err
    assert "3c2a9f0e1d" not in captured.err
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()

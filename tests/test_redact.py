"""One URL redaction for logs, errors and outputs: credentials go, the endpoint stays readable."""

from __future__ import annotations

import pytest

from bot.redact import MASK, redact_url, scrub, secret_parts

INFURA_KEY = "9aa3d95b3bc440fa88ea12eaa4456161"
ALCHEMY_KEY = "AbC-dEf_123456789xyzQW"

CASES = [
    ("loopback, no credentials", "http://127.0.0.1:8545", "http://127.0.0.1:8545"),
    ("trailing slash kept", "http://127.0.0.1:8545/", "http://127.0.0.1:8545/"),
    ("basic auth", "https://user:hunter22@rpc.example:8443/", "https://rpc.example:8443/"),
    ("user only", "https://projectid@rpc.example/", "https://rpc.example/"),
    ("infura", f"https://mainnet.infura.io/v3/{INFURA_KEY}", "https://mainnet.infura.io/v3/***"),
    (
        "alchemy",
        f"https://eth-mainnet.g.alchemy.com/v2/{ALCHEMY_KEY}",
        "https://eth-mainnet.g.alchemy.com/v2/***",
    ),
    (
        "key segment mid-path",
        f"https://rpc.ankr.com/bsc/{INFURA_KEY}/",
        "https://rpc.ankr.com/bsc/***/",
    ),
    (
        "every query value, any name",
        "https://rpc.example/eth?apikey=abc&x=zzz&Token=t",
        "https://rpc.example/eth?apikey=***&x=***&Token=***",
    ),
    ("fragment", "https://rpc.example/#k", "https://rpc.example/#***"),
    (
        "postgres keeps its user, loses its password",
        "postgresql://hedgebot:s3cretpw@db.internal:5432/journal",
        "postgresql://hedgebot:***@db.internal:5432/journal",
    ),
    (
        "postgres with a driver",
        "postgresql+psycopg://hedgebot:s3cretpw@db/journal",
        "postgresql+psycopg://hedgebot:***@db/journal",
    ),
    ("sqlite path unchanged", "sqlite:///var/hedgebot.db", "sqlite:///var/hedgebot.db"),
    ("plain path unchanged", "var/journal.db", "var/journal.db"),
    ("ipv6 host", "http://u:p@[::1]:8545/", "http://[::1]:8545/"),
    ("unparseable", "http://u:p@[::1:8545/", MASK),
]


@pytest.mark.parametrize(("case", "url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_redact_url(case: str, url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_is_idempotent() -> None:
    url = f"https://u:p@rpc.example:1/v3/{INFURA_KEY}?apikey=abc#f"
    once = redact_url(url)
    assert redact_url(once) == once


def test_ordinary_path_words_are_not_keys() -> None:
    url = "https://hooks.example.com/services/webhooks/sendMessage/eth/v3"
    assert redact_url(url) == url


def test_scrub_redacts_every_url_in_a_text() -> None:
    text = (
        f"rpc failed on https://u:hunter22@a.example/v3/{INFURA_KEY}: timeout; "
        "journal postgresql://hb:pgpass99@db/j refused; metrics http://127.0.0.1:9108/metrics"
    )
    out = scrub(text)
    for secret in ("hunter22", INFURA_KEY, "pgpass99"):
        assert secret not in out
    assert "https://a.example/v3/***" in out
    assert "postgresql://hb:***@db/j" in out
    assert "http://127.0.0.1:9108/metrics" in out


def test_scrub_keeps_the_punctuation_after_a_url() -> None:
    text = "rpc failed on https://rpc.example/?apikey=abc: timeout (see http://127.0.0.1:1/)."
    expected = "rpc failed on https://rpc.example/?apikey=***: timeout (see http://127.0.0.1:1/)."
    assert scrub(text) == expected


def test_scrub_finds_a_known_urls_credentials_quoted_apart() -> None:
    """urllib3 quotes only the path of the URL it failed on."""
    url = f"http://canaryuser:canarypass@127.0.0.1:9/v3/{INFURA_KEY}?apikey=CANARYQUERY"
    error = (
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        f"/v3/{INFURA_KEY}?apikey=CANARYQUERY (user canaryuser)"
    )
    out = scrub(error, [url])
    for secret in ("canaryuser", INFURA_KEY, "CANARYQUERY"):
        assert secret not in out
    assert "host='127.0.0.1', port=9" in out


def test_scrub_masks_credential_parameters_of_a_bare_query() -> None:
    out = scrub("GET /x?apikey=abc&access_token=def&symbol=BTCUSDT")
    assert out == "GET /x?apikey=***&access_token=***&symbol=BTCUSDT"


def test_short_parts_are_masked_in_urls_but_not_everywhere() -> None:
    url = "http://u:pw@host.example/"
    assert secret_parts(url) == []  # "pw" alone would mangle every "pw" in a message
    assert scrub(f"failed on {url}: upw", [url]) == "failed on http://host.example/: upw"

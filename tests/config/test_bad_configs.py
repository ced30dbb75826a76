"""Each broken config gets its own readable error naming the field (and line), and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()

GOOD = """\
network: testnet
positions:
  - name: main
    chain_id: 56
    rpc_urls: [https://bsc-dataseed.bnbchain.org]
    addresses_provider: "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"
    wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
tokens:
  WBTC: {underlying: BTC}
  USDC: {underlying: USD}
hedge:
  symbols: {BTC: BTCUSDT}
  leverage: 3
  policy: {kind: ratio, r: 0.5}
  band: {rel: 0.1, abs_usd: 50}
"""

# (case id, text transformation, expected fragment(s) of the message)
CASES: list[tuple[str, str, list[str]]] = [
    (
        "wrong-type-leverage",
        GOOD.replace("leverage: 3", "leverage: three"),
        ["hedge.leverage", "integer", "line 13"],
    ),
    ("unknown-top-key", GOOD + "colour: blue\n", ["colour", "unknown key"]),
    (
        "unknown-nested-key",
        GOOD.replace("  leverage: 3", "  leverage: 3\n  levrage: 4"),
        ["hedge.levrage", "unknown key", "line 14"],
    ),
    (
        "missing-rpc",
        GOOD.replace("    rpc_urls: [https://bsc-dataseed.bnbchain.org]\n", ""),
        ["positions.0.rpc_urls", "Field required"],
    ),
    (
        "empty-rpc-list",
        GOOD.replace("[https://bsc-dataseed.bnbchain.org]", "[]"),
        ["positions.0.rpc_urls", "at least 1"],
    ),
    (
        "bad-rpc-url",
        GOOD.replace("https://bsc-dataseed.bnbchain.org", "bsc-dataseed"),
        ["positions.0.rpc_urls.0", "URL"],
    ),
    (
        "bad-address-checksum",
        GOOD.replace(
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "0x70997970c51812DC3A010C7d01b50e0d17dc79C8",
        ),
        ["positions.0.wallet", "checksum", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
    ),
    (
        "not-an-address",
        GOOD.replace("0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D", "0x1234"),
        ["positions.0.addresses_provider", "not an EVM address"],
    ),
    (
        "negative-band",
        GOOD.replace("rel: 0.1", "rel: -0.1"),
        ["hedge.band.rel", "greater than 0"],
    ),
    (
        "leverage-over-125",
        GOOD.replace("leverage: 3", "leverage: 126"),
        ["hedge.leverage", "less than or equal to 125"],
    ),
    (
        "unknown-policy",
        GOOD.replace("kind: ratio, r: 0.5", "kind: yolo"),
        ["hedge.policy", "unknown policy 'yolo'"],
    ),
    (
        "mainnet-without-opt-in",
        GOOD.replace("network: testnet", "network: mainnet"),
        ["mainnet", "allow_mainnet: true", "--live"],
    ),
    (
        "secret-in-yaml",
        GOOD + "api_secret: abcdef\n",
        ["api_secret", "secrets must not be written in YAML", "line 16"],
    ),
    (
        "private-key-in-yaml",
        GOOD.replace("    chain_id: 56", "    chain_id: 56\n    private_key: '0xabc'"),
        ["positions.0.private_key", "secrets must not be written in YAML"],
    ),
    (
        "telegram-token-in-yaml",
        GOOD + "alerts:\n  telegram:\n    - {chat_id: '1', token: '123:ABC'}\n",
        ["alerts.telegram.0.token", "secrets must not be written in YAML"],
    ),
    (
        "ratio-above-one",
        GOOD.replace("r: 0.5", "r: 1.5"),
        ["hedge.policy.r", "less than or equal to 1"],
    ),
    (
        "coinm-symbol-on-usdm",
        GOOD.replace("{BTC: BTCUSDT}", "{BTC: BTCUSD_PERP}"),
        ["COIN-M contract but venue is usdm"],
    ),
    (
        "missing-hedge-symbol",
        GOOD.replace(
            "  WBTC: {underlying: BTC}", "  WBTC: {underlying: BTC}\n  WETH: {underlying: ETH}"
        ),
        ["no contract for underlying ETH"],
    ),
    ("bad-yaml", GOOD.replace("  leverage: 3", "  leverage: [3"), ["not valid YAML"]),
    (
        "duplicate-position-names",
        GOOD.replace(
            "tokens:",
            "  - name: main\n    chain_id: 1\n    rpc_urls: [https://eth.example]\n"
            "    addresses_provider: '0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e'\n"
            "    wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'\ntokens:",
        ),
        ["names must be unique"],
    ),
    (
        "protect-target-below-trigger",
        GOOD + "protect: {trigger_hf: 1.5, target_hf: 1.4}\n",
        ["protect", "target_hf (1.4) must be above trigger_hf (1.5)"],
    ),
    (
        "custom-network-without-urls",
        GOOD.replace("network: testnet", "network: custom"),
        ["network: custom needs exchange_base_url"],
    ),
]


def test_the_good_config_is_good(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    result = runner.invoke(app, ["check-config", str(path)], env={})
    assert result.exit_code == 0, result.output


def test_there_are_at_least_fifteen_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize(("case", "text", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_refused_with_a_specific_message(
    tmp_path: Path, case: str, text: str, fragments: list[str]
) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["check-config", str(path)], env={})
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "invalid config" in flat
    for fragment in fragments:
        assert fragment in flat, f"{fragment!r} missing from:\n{result.output}"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-config", str(tmp_path / "nope.yaml")], env={})
    assert result.exit_code == 2
    assert "cannot read file" in result.output

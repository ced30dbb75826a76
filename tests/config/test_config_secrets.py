"""`check-config` says secrets are masked: RPC keys, the journal's database password and a
private key pasted where an address belongs never reach its output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.config.test_bad_configs import GOOD

runner = CliRunner()

# anvil's public test key 1 (never funded anywhere real)
PRIVATE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
WALLET = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PROVIDER = "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"
RPC_KEY = "9aa3d95b3bc440fa88ea12eaa4456161"
RPC_URLS = (
    f"https://mainnet.infura.io/v3/{RPC_KEY}",
    "https://rpcuser:rpcpass77@bsc-dataseed.bnbchain.org/",
    "https://rpc.example/bsc?apikey=queryKey42",
)
PG_PASSWORD = "pgpass99canary"


def _check(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["check-config", str(path)], env=env or {})
    return result.exit_code, result.output


def test_resolved_config_masks_rpc_keys_and_the_database_password(tmp_path: Path) -> None:
    text = GOOD.replace("[https://bsc-dataseed.bnbchain.org]", json.dumps(list(RPC_URLS)))
    text += f"journal: {{url: 'postgresql://hedgebot:{PG_PASSWORD}@db.internal:5432/journal'}}\n"
    code, output = _check(tmp_path, text)
    assert code == 0, output
    for secret in (RPC_KEY, "rpcuser", "rpcpass77", "queryKey42", PG_PASSWORD):
        assert secret not in output
    resolved = json.loads(output[: output.rindex("}") + 1])
    assert resolved["positions"][0]["rpc_urls"] == [
        "https://mainnet.infura.io/v3/***",
        "https://bsc-dataseed.bnbchain.org/",
        "https://rpc.example/bsc?apikey=***",
    ]
    assert resolved["journal"]["url"] == "postgresql://hedgebot:***@db.internal:5432/journal"


def test_exchange_base_url_credentials_are_masked(tmp_path: Path) -> None:
    text = GOOD.replace("network: testnet", "network: custom")
    text += "exchange_base_url: http://emu:emupass55@127.0.0.1:8700\n"
    code, output = _check(tmp_path, text)
    assert code == 0, output
    assert "emupass55" not in output
    assert '"exchange_base_url": "http://127.0.0.1:8700/"' in output


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace(WALLET, PRIVATE_KEY),
        GOOD.replace(WALLET, PRIVATE_KEY.removeprefix("0x")),
        GOOD.replace(PROVIDER, PRIVATE_KEY),
        GOOD + f"protect: {{reserve_wallet: '{PRIVATE_KEY}'}}\n",
    ],
    ids=["wallet", "wallet-without-0x", "addresses-provider", "reserve-wallet"],
)
def test_a_private_key_pasted_as_an_address_is_never_echoed(tmp_path: Path, text: str) -> None:
    code, output = _check(tmp_path, text)
    assert code == 2, output
    assert PRIVATE_KEY.removeprefix("0x") not in "".join(output.split())
    flat = " ".join(output.split())
    assert "looks like a private key, not an address" in flat


def test_a_private_key_given_as_an_override_is_never_echoed(tmp_path: Path) -> None:
    env = {"HEDGEBOT__POSITIONS__0__WALLET": PRIVATE_KEY}
    code, output = _check(tmp_path, GOOD, env)
    assert code == 2, output
    assert PRIVATE_KEY.removeprefix("0x") not in "".join(output.split())
    assert "positions.0.wallet" in output


def test_a_bad_checksum_gets_the_right_spelling(tmp_path: Path) -> None:
    # An address is public: saying which one is wrong helps, and it is no secret.
    bad = "0x70997970c51812DC3A010C7d01b50e0d17dc79C8"
    code, output = _check(tmp_path, GOOD.replace(WALLET, bad))
    assert code == 2, output
    assert f"has a bad EIP-55 checksum (expected {WALLET})" in " ".join(output.split())


def test_a_refused_journal_url_does_not_echo_its_password(tmp_path: Path) -> None:
    text = GOOD + f"journal: {{url: 'mysql://hedgebot:{PG_PASSWORD}@db/journal'}}\n"
    code, output = _check(tmp_path, text)
    assert code == 2, output
    assert PG_PASSWORD not in output
    assert "journal url must start with sqlite:/// or postgresql://" in " ".join(output.split())

"""A Venus core-pool position in the config: its own address key, checked like the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.venus import VenusCoreReader
from bot.cli import app
from bot.config import load_config
from bot.daemon.wiring import reader_for

runner = CliRunner()
COMPTROLLER = "0xfD36E2c2a6789Db23113685031d7F16329158384"  # BNB Chain core pool (Unitroller)
PROVIDER = "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"

VENUS = f"""\
network: testnet
positions:
  - name: venus
    protocol: venus-core
    chain_id: 56
    rpc_urls: [https://bsc-dataseed.bnbchain.org]
    comptroller: "{COMPTROLLER}"
    wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
tokens:
  BNB: {{underlying: BNB}}
  BTCB: {{underlying: BTC}}
  USDT: {{underlying: USD}}
  VAI: {{underlying: USD}}
hedge:
  symbols: {{BTC: BTCUSDT, BNB: BNBUSDT}}
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["check-config", str(path)], env={})
    return result.exit_code, " ".join(result.output.split())


def test_a_venus_position_is_good(tmp_path: Path) -> None:
    code, output = check(tmp_path, VENUS)
    assert code == 0, output
    code, output = check(tmp_path, VENUS + "protect: {reserve_tokens: [USDT]}\n")
    assert code == 0, output  # the guard repays on the vToken (bot.protect.venues)


@pytest.mark.parametrize(
    ("case", "text", "fragments"),
    [
        ("venus-without-comptroller",
         VENUS.replace(f'    comptroller: "{COMPTROLLER}"\n', ""),
         ["positions.0: comptroller is required for protocol venus-core", "line 4"]),
        ("venus-with-aave-key",
         VENUS.replace("    wallet:", f'    addresses_provider: "{PROVIDER}"\n    wallet:'),
         ["positions.0: addresses_provider belongs to aave-v3 positions",
          "names its comptroller instead"]),
        ("aave-with-comptroller",
         VENUS.replace("protocol: venus-core", "protocol: aave-v3"),
         ["positions.0: addresses_provider is required for protocol aave-v3"]),
        ("venus-bad-comptroller",
         VENUS.replace(COMPTROLLER, COMPTROLLER.lower()[:-2] + "zz"),
         ["positions.0.comptroller", "not an EVM address"]),
        ("unknown-protocol",
         VENUS.replace("protocol: venus-core", "protocol: compound-v3"),
         ["positions.0.protocol", "venus-core"]),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v and len(v) < 40 else "",
)  # fmt: skip
def test_bad_venus_position_is_refused_naming_the_field(
    tmp_path: Path, case: str, text: str, fragments: list[str]
) -> None:
    code, output = check(tmp_path, text)
    assert code == 2, output
    for fragment in fragments:
        assert fragment in output, f"{case}: {fragment!r} missing from:\n{output}"


def test_wiring_builds_the_reader_of_the_positions_protocol(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(VENUS)
    venus = load_config(path).positions[0]
    reader = reader_for(venus)
    assert isinstance(reader, VenusCoreReader)
    assert reader.comptroller == COMPTROLLER
    aave_text = VENUS.replace("protocol: venus-core", "protocol: aave-v3").replace(
        f'comptroller: "{COMPTROLLER}"', f'addresses_provider: "{PROVIDER}"'
    )
    path.write_text(aave_text)
    aave = reader_for(load_config(path).positions[0])
    assert isinstance(aave, AaveV3Reader)
    assert aave.addresses_provider == PROVIDER

"""``hedgebot emulator --chain-rpc ...``: the hot wallet's key from the environment or a file,
clear one-line errors (exit 2, no traceback, never the key), and a real run that settles a
withdrawal on the devnet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.devnet.anvil import free_port
from bot.devnet.devnet import Devnet
from bot.emulator.chain_options import HOT_KEY_ENV
from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET
from bot.emulator.testing import EmulatorControl, EmulatorHandle, python_binance_client
from tests.emulator.chain_helpers import HOT, RECIPIENT, anvil_key, token_balance, wait_for

pytestmark = pytest.mark.exchange
runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
KEY = anvil_key(HOT)
USDC = "coin=USDC,network=BSC,contract_address=0x{},decimals=6,withdraw_fee=0.5,withdraw_min=5"


def _emulator(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = runner.invoke(app, ["emulator", "--port", "0", *args], env=env)
    return result.exit_code, result.output


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--chain-rpc", "http://127.0.0.1:9"], {HOT_KEY_ENV: KEY}, "at least one --chain-coin"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40)], {},
         f"{HOT_KEY_ENV} or {HOT_KEY_ENV}_FILE"),
        (["--chain-coin", USDC.format("1" * 40)], {HOT_KEY_ENV: KEY}, "need --chain-rpc"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", "coin=USDC,fees=1"],
         {HOT_KEY_ENV: KEY}, "unknown field 'fees'"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", "coin=DAI,network=BSC"],
         {HOT_KEY_ENV: KEY}, "needs ['contract_address', 'decimals']"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40),
          "--withdraw-delay-secs", "soon"], {HOT_KEY_ENV: KEY}, "must be a number"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40),
          "--withdraw-whitelist", "0xabc"], {HOT_KEY_ENV: KEY}, "not a 0x + 40 hex address"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40)],
         {HOT_KEY_ENV: KEY}, "cannot reach the chain RPC at http://127.0.0.1:9"),
        (["--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40)],
         {HOT_KEY_ENV: "0x1234"}, "not a valid private key"),
    ],
)  # fmt: skip
def test_chain_option_errors_are_one_clear_line(
    args: list[str], env: dict[str, str], message: str
) -> None:
    code, output = _emulator(*args, env=env)
    assert code == 2, output
    assert message in _flat(output)
    assert "Traceback" not in output
    assert KEY.removeprefix("0x") not in output


def test_key_file_must_be_readable(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    code, output = _emulator(
        "--chain-rpc", "http://127.0.0.1:9", "--chain-coin", USDC.format("1" * 40),
        env={f"{HOT_KEY_ENV}_FILE": str(missing)},
    )  # fmt: skip
    assert code == 2
    assert "cannot read" in _flat(output)


@dataclass(frozen=True)
class CliEmulator:
    handle: EmulatorHandle
    process: subprocess.Popen[str]

    def stop(self) -> str:
        """Interrupt it as a terminal would; its whole output."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=20)
        return output


@pytest.fixture
def cli(devnet: Devnet, tmp_path: Path) -> Iterator[CliEmulator]:
    """``python -m bot emulator`` as a real process linked to the devnet (key from a file)."""
    key_file = tmp_path / "hot-wallet-key"
    key_file.write_text(KEY + "\n")
    port = free_port()
    usdc = USDC.format(devnet.deployment.token("USDC").underlying.removeprefix("0x"))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        f"{HOT_KEY_ENV}_FILE": str(key_file),
    }
    env.pop(HOT_KEY_ENV, None)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bot", "emulator", "--port", str(port),
            "--chain-rpc", devnet.rpc_url, "--chain-coin", f"{usdc},min_confirm=2",
            "--withdraw-delay-secs", "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    control = EmulatorControl(base)
    handle = EmulatorHandle(
        base_url=base,
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        control=control,
        exchange=None,  # type: ignore[arg-type]  # the engine lives in the other process
    )
    running = CliEmulator(handle=handle, process=process)
    try:
        wait_for("the emulator to listen", lambda: _pings(base, process))
        yield running
    finally:
        control.close()
        running.stop()


def _pings(base: str, process: subprocess.Popen[str]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"the emulator exited: {process.communicate()[0]}")
    try:
        return httpx.get(f"{base}/api/v3/ping", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.chain
def test_cli_linked_emulator_settles_a_withdrawal(cli: CliEmulator, devnet: Devnet) -> None:
    cli_emulator = cli.handle
    hot, recipient = devnet.account(HOT), devnet.account(RECIPIENT)
    devnet.fund(hot, "USDC", Decimal(100))
    chain = cli_emulator.control.snapshot()["chain"]
    assert (chain["hot_wallet"], chain["hot_wallet_key"]) == (hot, "***")
    cli_emulator.control.fund("USDC", "50", venue="spot")
    client = python_binance_client(cli_emulator)
    before = token_balance(devnet, "USDC", recipient)
    applied = client.withdraw(coin="USDC", address=recipient, amount="20", withdrawOrderId="cli")
    wait_for(
        "the withdrawal to complete",
        lambda: any(
            w["id"] == applied["id"] and w["status"] == 6
            for w in cli_emulator.control.snapshot()["accounts"][DEFAULT_API_KEY]["withdrawals"]
        ),
    )
    assert token_balance(devnet, "USDC", recipient) - before == 19_500_000
    assert client.get_withdraw_history(withdrawOrderId="cli")[0]["txId"].startswith("0x")
    output = cli.stop()
    assert f"hot wallet {hot}, coins USDC/BSC" in output
    assert KEY.removeprefix("0x") not in output

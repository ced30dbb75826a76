"""A local `anvil` chain as a child process, on a free loopback port.

The binary comes from the npm package ``@foundry-rs/anvil-linux-amd64`` installed by the Makefile
into the tools dir (env ``HEDGEBOT_TOOLS_DIR``, default ``<repo>/.tools``). Nothing is installed
here: a missing binary is a clear error.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from web3 import Web3

ANVIL_RELATIVE_PATH = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
DEFAULT_CHAIN_ID = 31337
LOOPBACK = "127.0.0.1"
# anvil's default mnemonic ("test test ... junk") gives these unlocked, funded accounts.
DEFAULT_ACCOUNT_COUNT = 20


class DevnetError(RuntimeError):
    """The local chain could not be started or driven."""


def tools_dir() -> Path:
    """Where the Makefile installed the npm tools (anvil, Aave artifacts, address book)."""
    env = os.environ.get("HEDGEBOT_TOOLS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".tools"


def anvil_binary() -> Path:
    path = tools_dir() / ANVIL_RELATIVE_PATH
    if not path.is_file():
        raise DevnetError(
            f"anvil binary not found at {path}: run `make install` (npm package "
            "@foundry-rs/anvil-linux-amd64) or set HEDGEBOT_TOOLS_DIR to the tools dir"
        )
    return path


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rpc_request(url: str, method: str, params: list[Any], *, timeout_secs: float = 30.0) -> Any:
    """One raw JSON-RPC request (for anvil_* methods web3 does not wrap)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 (loopback URL)
    with urllib.request.urlopen(req, timeout=timeout_secs) as resp:  # noqa: S310 (loopback URL)
        reply = json.loads(resp.read())
    if "error" in reply:
        raise DevnetError(f"{method} failed on {url}: {reply['error']}")
    return reply["result"]


class AnvilProcess:
    """``with AnvilProcess() as anvil: anvil.rpc_url``; stops the child on exit."""

    def __init__(
        self,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        host: str = LOOPBACK,
        port: int | None = None,
        accounts: int = DEFAULT_ACCOUNT_COUNT,
        extra_args: tuple[str, ...] = (),
        start_timeout_secs: float = 20.0,
    ) -> None:
        self.chain_id = chain_id
        self.host = host
        self.port = port or free_port()
        # this process always talks to it on loopback, whichever interface it listens on
        self.rpc_url = f"http://{LOOPBACK}:{self.port}"
        self._accounts = accounts
        self._extra_args = extra_args
        self._start_timeout_secs = start_timeout_secs
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    def start(self) -> AnvilProcess:
        binary = anvil_binary()
        args = [
            str(binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self._accounts),
            "--balance", "1000000",
            *self._extra_args,
        ]  # fmt: skip
        log_fd, log_name = _temp_log()
        self._log_path = Path(log_name)
        self._proc = subprocess.Popen(args, stdout=log_fd, stderr=subprocess.STDOUT)  # noqa: S603
        os.close(log_fd)
        deadline = time.monotonic() + self._start_timeout_secs
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DevnetError(
                    f"anvil exited with code {self._proc.returncode} on port {self.port}: "
                    f"{self._log_tail()}"
                )
            try:
                rpc_request(self.rpc_url, "eth_chainId", [], timeout_secs=1.0)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise DevnetError(
            f"anvil did not answer on {self.rpc_url} within {self._start_timeout_secs}s: "
            f"{self._log_tail()}"
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc_request(self.rpc_url, method, list(params))

    def _log_tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "(no log)"
        return self._log_path.read_text(errors="replace")[-2000:]

    def __enter__(self) -> AnvilProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _temp_log() -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix="anvil-", suffix=".log")


@dataclass(slots=True)
class AnvilChain:
    """A running anvil with a lending protocol loaded: what every devnet does with the chain
    itself (accounts, blocks, state snapshots). Not thread-safe."""

    anvil: AnvilProcess
    w3: Web3

    @property
    def rpc_url(self) -> str:
        return self.anvil.rpc_url

    @property
    def chain_id(self) -> int:
        return self.anvil.chain_id

    def account(self, index: int) -> str:
        return str(self.w3.eth.accounts[index])

    def mine(self, blocks: int = 1) -> None:
        self.anvil.rpc("anvil_mine", hex(blocks))

    def set_automine(self, enabled: bool) -> None:
        self.anvil.rpc("evm_setAutomine", enabled)

    def take_state(self) -> str:
        """An anvil snapshot id; ``revert_state`` returns the chain to exactly this point."""
        return str(self.anvil.rpc("evm_snapshot"))

    def revert_state(self, state_id: str) -> None:
        if not self.anvil.rpc("evm_revert", state_id):
            raise DevnetError(f"evm_revert({state_id}) failed: snapshot unknown")

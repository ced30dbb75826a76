"""A borrower, a liquidator and 0.45 s blocks: the scene the guard's end-to-end tests play in.

The chain is anvil with the real Aave v3 deployment; blocks come from a producer thread every
0.45 s (BNB Chain's block time) once the daemon has started; a liquidator tries
``liquidationCall`` on every block. Nothing is mocked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.demo.liquidator import Liquidator
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal, TxRecord, TxStatus
from tests.daemon.harness import DaemonProcess, DaemonTestError

BLOCK_SECS = 0.45
LIQUIDATOR_INDEX = 5
TARGET_HF = Decimal("1.6")
WAD = Decimal(10) ** 18


class BlockProducer:
    """Automine off, one block every ``BLOCK_SECS`` from a thread (anvil's interval mining
    takes whole seconds only)."""

    def __init__(self, devnet: Devnet, interval_secs: float = BLOCK_SECS) -> None:
        self._devnet = devnet
        self._interval = interval_secs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blocks", daemon=True)

    def __enter__(self) -> BlockProducer:
        self._devnet.set_automine(False)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._devnet.set_automine(True)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            next_at += self._interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))
            if not self._stop.is_set():
                self._devnet.mine()


@dataclass(frozen=True, slots=True)
class Crash:
    block: int  # the block that carries the new oracle prices
    hf: Decimal  # the chain's HF at that block


def crash(devnet: Devnet, emulator: EmulatorHandle, wallet: str, factor: Decimal) -> Crash:
    """WBTC and WETH fall by ``factor`` together, on the oracle in one block, then on the
    exchange's marks (its control plane answers whatever faults its API has)."""
    prices = {s: devnet.price(s) * factor for s in ("WBTC", "WETH")}
    devnet.set_prices(prices)
    block = devnet.latest_block()[0]
    for token, price in prices.items():
        emulator.control.set_mark(f"{token.removeprefix('W')}USDT", price)
    return Crash(block=block, hf=hf_at(devnet, wallet, block))


def hf_at(devnet: Devnet, wallet: str, block: int | str = "latest") -> Decimal:
    return Decimal(devnet.account_data(wallet, block)[5]) / WAD


def mined_repays(journal_path: Path) -> list[TxRecord]:
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        return [t for t in journal.txs_since(0, status=TxStatus.MINED) if t.intent.kind == "repay"]


def wait_for_repay(journal_path: Path, *, after: int = 0, timeout: float = 20.0) -> TxRecord:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [t for t in mined_repays(journal_path) if (t.receipt_block or 0) > after]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise DaemonTestError(f"no repay mined after block {after} within {timeout:g} s")


def wait_guard_armed(
    daemon: DaemonProcess, devnet: Devnet, wallet: str, *, timeout: float = 30.0
) -> None:
    """The guard is reading and its standing allowance is mined: a repay is one transaction."""
    daemon.wait_event("guard verdict", verdict="healthy", timeout=timeout)
    deadline = time.monotonic() + timeout
    while devnet.allowance(wallet, "USDC") == 0:
        if time.monotonic() > deadline:
            raise DaemonTestError(f"the guard never approved the Pool:\n{daemon.log_tail()}")
        time.sleep(0.05)


@contextmanager
def liquidator_on(devnet: Devnet, borrower: str) -> Iterator[Liquidator]:
    """A liquidator funded with USDC, trying ``liquidationCall`` on every block."""
    address = devnet.account(LIQUIDATOR_INDEX)
    devnet.fund(address, "USDC", Decimal(10_000_000))
    devnet.approve_pool(address, "USDC")
    bot = Liquidator(
        rpc_url=devnet.rpc_url,
        deployment=devnet.deployment,
        liquidator=address,
        borrower=borrower,
        collaterals=("WBTC", "WETH"),
        debt="USDC",
    )
    with bot:
        yield bot

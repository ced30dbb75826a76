"""Two ``hedgebot run`` replicas on one database of the embedded PostgreSQL server, against
anvil + Aave v3 and the emulator (the harness of tests/daemon), and what the journal, the
emulator and the logs say they did."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.harness import (
    Borrower,
    DaemonProcess,
    daemon_config,
    daemon_env,
    emulator_orders,
    emulator_positions,
    running_daemon,
    write_config,
)

# Short cycles and a short lease: a takeover takes a heartbeat, the takeover delay and a tick.
HA = {"heartbeat_secs": 0.25, "lease_secs": 1.5, "takeover_secs": 2.5}
INTERVAL_SECS = 1.5


def replica_config(
    tmp_path: Path,
    name: str,
    *,
    devnet: Devnet,
    emulator: EmulatorHandle,
    borrower: Borrower,
    journal_url: str,
) -> Path:
    config = daemon_config(
        devnet=devnet,
        emulator=emulator,
        wallet=borrower.address,
        journal_path=tmp_path / "unused.db",
        interval_secs=INTERVAL_SECS,
        fast_interval_secs=INTERVAL_SECS,
    )
    config["journal"] = {"url": journal_url}
    config["ha"] = {"enabled": True, "replica_id": name, **HA}
    return write_config(tmp_path / f"{name}.yaml", config)


class Replicas:
    """Replica processes by name; ``start`` again after a kill appends to the same log."""

    def __init__(
        self, tmp_path: Path, *, devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower,
        journal_url: str, stack: ExitStack,
    ) -> None:  # fmt: skip
        self._tmp = tmp_path
        self._env = daemon_env(emulator, wallet_key=borrower.key)
        self._stack = stack
        self._configs = {
            name: replica_config(
                tmp_path, name, devnet=devnet, emulator=emulator, borrower=borrower,
                journal_url=journal_url,
            )
            for name in ("a", "b")
        }  # fmt: skip
        self.procs: dict[str, DaemonProcess] = {}

    def start(self, name: str) -> DaemonProcess:
        log = self._tmp / f"{name}-{len(self.procs)}.log"
        proc = self._stack.enter_context(running_daemon(self._configs[name], self._env, log))
        self.procs[name] = proc
        return proc

    @staticmethod
    def wait_leads(proc: DaemonProcess, *, after: int = 0, timeout: float = 60) -> int:
        index, _ = proc.wait_event("leadership", role="leader", after=after, timeout=timeout)
        return index


@contextmanager
def replicas(
    tmp_path: Path, *, devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower,
    journal_url: str,
) -> Iterator[Replicas]:  # fmt: skip
    with ExitStack() as stack:
        yield Replicas(
            tmp_path, devnet=devnet, emulator=emulator, borrower=borrower,
            journal_url=journal_url, stack=stack,
        )  # fmt: skip


def interleaved(logs: list[list[dict[str, Any]]], journal: Journal) -> list[str]:
    """Orders a replica sent outside its own epoch: each would be a moment two leaders acted.
    ``logs``: each replica process's log events. An order belongs to the epoch the process
    last announced leading before it; its intent must be journaled from that epoch's start
    and before the next epoch's."""
    starts = {e.epoch: e.started_at for e in journal.all_epochs()}
    problems: list[str] = []
    for events in logs:
        epoch: int | None = None
        for event in events:
            if event.get("event") == "leadership":
                epoch = event.get("epoch") if event.get("role") == "leader" else None
            elif event.get("event") == "order":
                coid = str(event["client_order_id"])
                record = journal.order(coid)
                if epoch is None or record is None:
                    problems.append(f"{coid}: sent by a replica that did not lead")
                    continue
                created = record.journaled.created_at
                after = starts.get(epoch + 1)
                if created < starts[epoch] or (after is not None and created >= after):
                    problems.append(f"{coid}: journaled at {created} outside epoch {epoch}")
    return problems


def duplicate_orders(emulator: EmulatorHandle, journal: Journal) -> list[str]:
    """Orders the emulator holds that the journal has no intent for, or more than one order
    per intent (the emulator refuses a reused client order id, so that means a second id)."""
    journaled = {r.journaled.intent.client_order_id for r in journal.orders_since(0)}
    seen: dict[str, int] = {}
    for order in emulator_orders(emulator):
        seen[order["client_order_id"]] = seen.get(order["client_order_id"], 0) + 1
    return [f"{c} x{n}" for c, n in seen.items() if n > 1] + [
        f"{c}: not journaled" for c in seen if c not in journaled
    ]


def positions_explained(emulator: EmulatorHandle, journal: Journal) -> dict[str, Any]:
    """Mismatches between the emulator's positions and the journal's fills, by symbol."""
    fills: dict[str, Decimal] = {}
    for record in journal.orders_since(0):
        outcome = record.outcome
        if outcome is None or outcome.executed_quantity == 0:
            continue
        sign = -1 if record.journaled.intent.side.value == "SELL" else 1
        symbol = record.journaled.intent.symbol
        fills[symbol] = fills.get(symbol, Decimal(0)) + sign * outcome.executed_quantity
    held = emulator_positions(emulator)
    return {
        s: (held.get(s, Decimal(0)), fills.get(s, Decimal(0)))
        for s in set(held) | set(fills)
        if held.get(s, Decimal(0)) != fills.get(s, Decimal(0))
    }

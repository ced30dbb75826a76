"""Two ``hedgebot run`` replicas on one database of the embedded PostgreSQL server, against
anvil + Aave v3 and the emulator (the harness of tests/daemon), and what the journal, the
emulator and the logs say they did."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """A replica's cadence: a takeover takes a heartbeat and the takeover delay, then a tick."""

    heartbeat_secs: float
    lease_secs: float
    takeover_secs: float
    interval_secs: float  # the hedger's and the guard's

    def ha(self) -> dict[str, float]:
        return {
            "heartbeat_secs": self.heartbeat_secs,
            "lease_secs": self.lease_secs,
            "takeover_secs": self.takeover_secs,
        }


# Short cycles and a short lease.
STEADY = Timing(heartbeat_secs=0.2, lease_secs=1.0, takeover_secs=1.5, interval_secs=1.5)
# Shorter still, for the tests that kill or cut many times: a lease of 0.6 s with a
# heartbeat every 0.1 s holds on a loaded machine, and a takeover is about a second.
QUICK = Timing(heartbeat_secs=0.1, lease_secs=0.6, takeover_secs=0.9, interval_secs=1.0)
INTERVAL_SECS = STEADY.interval_secs


def replica_config(
    tmp_path: Path,
    name: str,
    *,
    devnet: Devnet,
    emulator: EmulatorHandle,
    borrower: Borrower,
    journal_url: str,
    timing: Timing = STEADY,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """``extra``: sections to set on top of the local stack's config (e.g. ``capital``)."""
    config = daemon_config(
        devnet=devnet,
        emulator=emulator,
        wallet=borrower.address,
        journal_path=tmp_path / "unused.db",
        interval_secs=timing.interval_secs,
        fast_interval_secs=timing.interval_secs,
    )
    config["journal"] = {"url": journal_url}
    # The kill test acts on every kill (some 150 orders and a dozen repays for 50 kills): the
    # daily repay cap and the hourly order cap must not end the scene.
    config["protect"]["max_per_day_usd"] = 10_000_000
    config["hedge"]["caps"]["max_orders_per_hour"] = 1_000
    config["ha"] = {"enabled": True, "replica_id": name, **timing.ha()}
    config.update(extra or {})
    return write_config(tmp_path / f"{name}.yaml", config)


class Replicas:
    """Replica processes by name; ``start`` again after a kill starts a new process (and log)."""

    def __init__(
        self, tmp_path: Path, *, devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower,
        journal_url: str | Mapping[str, str], stack: ExitStack, timing: Timing = STEADY,
        names: tuple[str, ...] = ("a", "b"), extra: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._tmp = tmp_path
        self._env = daemon_env(emulator, wallet_key=borrower.key)
        self._stack = stack
        self._configs = {
            name: replica_config(
                tmp_path, name, devnet=devnet, emulator=emulator, borrower=borrower,
                journal_url=journal_url if isinstance(journal_url, str) else journal_url[name],
                timing=timing, extra=extra,
            )
            for name in names
        }  # fmt: skip
        self.procs: dict[str, DaemonProcess] = {}  # the latest process of each replica
        self.started: list[DaemonProcess] = []  # every process, in start order

    def start(self, name: str) -> DaemonProcess:
        log = self._tmp / f"{name}-{len(self.started)}.log"
        proc = self._stack.enter_context(running_daemon(self._configs[name], self._env, log))
        self.procs[name] = proc
        self.started.append(proc)
        return proc

    @property
    def env(self) -> dict[str, str]:
        return dict(self._env)

    def config(self, name: str) -> Path:
        return self._configs[name]

    @staticmethod
    def wait_leads(proc: DaemonProcess, *, after: int = 0, timeout: float = 60) -> int:
        index, _ = proc.wait_event("leadership", role="leader", after=after, timeout=timeout)
        return index


def last_lead(proc: DaemonProcess) -> int:
    """The index of ``proc``'s last leadership event (0: none yet)."""
    leads = [i for i, e in enumerate(proc.events()) if e.get("event") == "leadership"]
    return leads[-1] if leads else 0


@contextmanager
def replicas(
    tmp_path: Path, *, devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower,
    journal_url: str | Mapping[str, str], timing: Timing = STEADY,
    names: tuple[str, ...] = ("a", "b"), extra: Mapping[str, Any] | None = None,
) -> Iterator[Replicas]:  # fmt: skip
    """``journal_url``: one for both replicas, or one per replica name (through a proxy)."""
    with ExitStack() as stack:
        yield Replicas(
            tmp_path, devnet=devnet, emulator=emulator, borrower=borrower,
            journal_url=journal_url, stack=stack, timing=timing, names=names, extra=extra,
        )  # fmt: skip


def interleaved(logs: list[list[dict[str, Any]]], journal: Journal) -> list[str]:
    """Moments two leaders acted: actions (orders, transactions, money moves' stages) a
    replica took outside its own epoch, or epochs whose actions overlap in time. ``logs``:
    each replica process's log events. An action belongs to the epoch the process last won
    before it (it acts once the takeover delay has passed on its clock, which may be a beat
    before it logs "leader"); its intent must be journaled from that epoch's start and before
    the next epoch's."""
    starts = {e.epoch: e.started_at for e in journal.all_epochs()}
    problems: list[str] = []
    acted: dict[int, list[datetime]] = {}
    for events in logs:
        epoch: int | None = None
        for event in events:
            if event.get("event") == "leadership":
                epoch = event.get("epoch") if event.get("role") != "follower" else None
                continue
            action = _action(event, journal)
            if action is None:
                continue
            what, created = action
            if epoch is None or created is None:
                problems.append(f"{what}: sent by a replica that did not lead")
                continue
            acted.setdefault(epoch, []).append(created)
            after = starts.get(epoch + 1)
            if created < starts[epoch] or (after is not None and created >= after):
                problems.append(f"{what}: journaled at {created} outside epoch {epoch}")
    spans = [(min(times), max(times), e) for e, times in sorted(acted.items())]
    for (_, last, old), (first, _, new) in itertools.pairwise(spans):
        if first <= last:
            problems.append(f"epoch {new} acted at {first}, before epoch {old}'s last action")
    return problems


def _action(event: dict[str, Any], journal: Journal) -> tuple[str, datetime | None] | None:
    """(what, when its intent was journaled) for an order or transaction log event."""
    if event.get("event") == "order":
        coid = str(event["client_order_id"])
        order = journal.order(coid)
        return f"order {coid}", None if order is None else order.journaled.created_at
    if event.get("event") == "transaction sent":
        key = str(event["key"])
        tx = journal.tx(key)
        return f"transaction {key}", None if tx is None else tx.created_at
    if event.get("event") == "money move" and "move_id" in event:
        # A move outlives its epoch (a new leader carries it on): each stage it reaches is an
        # action of the replica that logged it, at that moment.
        what = f"money move {event['move_id']} to {event['stage']}"
        return what, datetime.fromisoformat(str(event["timestamp"]))
    return None


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


def duplicate_moves(emulator: EmulatorHandle, journal: Journal) -> list[str]:
    """Withdrawals and futures <-> spot transfers the emulator made that no journaled money
    move explains, or more than one per move: a withdrawal by its ``withdrawOrderId`` (the
    move's id), a transfer by the id the move recorded (the venue takes no client id for it)."""
    account = emulator.control.snapshot()["accounts"][emulator.api_key]
    moves = journal.moves_since(0)
    ids = {m.intent.move_id for m in moves}
    withdrawals = Counter(str(w["withdraw_order_id"]) for w in account["withdrawals"])
    problems = [f"withdrawal {i} x{n}" for i, n in withdrawals.items() if n > 1]
    problems += [f"withdrawal {i}: not journaled" for i in withdrawals if i not in ids]
    claimed = Counter(m.transfer_id for m in moves if m.transfer_id)
    problems += [f"transfer {t} held by {n} moves" for t, n in claimed.items() if n > 1]
    problems += [
        f"transfer {t['tran_id']} ({t['type']} {t['amount']} {t['asset']}): no move holds it"
        for t in account["transfers"]
        if str(t["tran_id"]) not in claimed
    ]
    return problems

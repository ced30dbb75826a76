"""The guard's hands: repays and approves go to the wallet's own thread (``TxWorker``).

The guard submits and moves on; the worker sends, follows, replaces and settles each
transaction and journals it. The guard reads the worker's state on its next tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from bot.core.repay import ProtectAction
from bot.protect.executor import ExecutionReport, ProtectExecutor
from bot.wallet.txtypes import TxOutcome
from bot.wallet.worker import JobResult, TxWorker, WorkerState

log = structlog.get_logger(__name__)

RECOVER_JOB = "recover"
# After a repay that failed (a revert, a refusal), or a simulated one in dry-run, the guard
# waits this long before sending the next: the next block would most likely say the same.
HOLD_AFTER_SECS = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskState:
    """The worker's state as the guard needs it for one decision."""

    running: str | None
    finished: tuple[JobResult, ...]
    settled_block: int  # the highest block in which a guard transaction was seen mined


class RepayDesk:
    def __init__(
        self,
        executor: ProtectExecutor,
        worker: TxWorker,
        *,
        dry_run: bool,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._executor = executor
        self._worker = worker
        self._dry_run = dry_run
        self._monotonic = monotonic
        self._settled_block = 0
        self._hold_until = 0.0
        self._recover_next = True  # a previous process may have left a transaction pending

    @property
    def dry_run(self) -> bool:
        return self._dry_run

    @property
    def recovery_due(self) -> bool:
        """A pending transaction is to be settled before anything else is sent."""
        return self._recover_next

    def state(self) -> DeskState:
        """The worker's running job and what finished since the last look, in one read."""
        worker: WorkerState = self._worker.state()
        for result in worker.finished:
            self._settled_block = max(self._settled_block, _highest_block(result))
            if result.error is not None:
                self._recover_next = True  # its transaction may still be pending
            report = result.value
            if isinstance(report, ExecutionReport) and (report.dry_run or not report.ok):
                self._hold_until = self._monotonic() + HOLD_AFTER_SECS
        return DeskState(
            running=worker.running, finished=worker.finished, settled_block=self._settled_block
        )

    def recover_if_needed(self) -> bool:
        """Settle what is pending in the journal (start-up, or after a job failed): on the
        worker, so neither loop waits. True while that is still to be done."""
        if not self._recover_next:
            return False
        if self._worker.submit(RECOVER_JOB, self._recover):
            self._recover_next = False
        return True

    def recheck(self) -> None:
        """Settle anew what the journal holds pending (a reorg reopened a transaction)."""
        self._recover_next = True

    def send(self, action: ProtectAction) -> bool:
        """Hand ``action`` to the worker; False when a job is running or the desk holds after
        a failed (or simulated) repay: nothing sent."""
        if self._monotonic() < self._hold_until:
            return False
        name = f"{action.kind}:{action.amount} {action.symbol}"
        return self._worker.submit(
            name, lambda: self._executor.execute(action, dry_run=self._dry_run)
        )

    def close(self) -> None:
        self._worker.close()

    def _recover(self) -> list[TxOutcome]:
        settled = self._executor.recover()
        for outcome in settled:
            log.warning(
                "settled a transaction left by a previous run",
                key=outcome.key,
                status=outcome.status,
                tx_hash=outcome.tx_hash,
            )
        if not self._dry_run:
            settled += self._executor.prepare_allowances()
        return settled


def _highest_block(result: JobResult) -> int:
    outcomes: list[TxOutcome | None] = []
    if isinstance(result.value, ExecutionReport):
        outcomes += [result.value.approve, result.value.outcome]
    elif isinstance(result.value, list):
        outcomes += [o for o in result.value if isinstance(o, TxOutcome)]
    return max((o.block_number or 0 for o in outcomes if o is not None), default=0)


__all__ = ["RECOVER_JOB", "DeskState", "RepayDesk"]

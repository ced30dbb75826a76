"""A thread of its own for the wallet's transactions, so that no loop waits for a block.

The transaction manager waits for receipts and replaces stuck transactions; run inline, a
repay that is not mined would hold the cycle that sent it for minutes. ``TxWorker`` runs one
job at a time on its own thread (one transaction in flight per sender is the manager's rule
anyway); callers submit and read its state, and never block on it.

``state()`` returns the running job and the jobs finished since the last call in one atomic
read: a caller that sees no job running has also seen the result of the last one, so it never
decides on a chain read that predates a transaction it has not accounted for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobResult:
    name: str
    value: object = None
    error: Exception | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerState:
    running: str | None  # the job on the thread now
    finished: tuple[JobResult, ...]  # jobs finished since the previous ``state()``


class TxWorker:
    def __init__(self, name: str) -> None:
        self._name = name
        self._closed = False
        self._lock = threading.Lock()
        self._running: str | None = None
        self._finished: list[JobResult] = []

    def submit(self, name: str, job: Callable[[], object]) -> bool:
        """Start ``job`` on the worker's thread; False (nothing started) while one runs."""
        with self._lock:
            if self._running is not None or self._closed:
                return False
            self._running = name
        # A daemon thread: a stop never waits for a block; what is pending stays in the
        # journal and the next process settles it by its hashes and nonce.
        thread = threading.Thread(
            target=self._run, args=(name, job), name=f"tx-{self._name}", daemon=True
        )
        thread.start()
        return True

    def state(self) -> WorkerState:
        with self._lock:
            finished, self._finished = tuple(self._finished), []
            return WorkerState(running=self._running, finished=finished)

    @property
    def running(self) -> str | None:
        with self._lock:
            return self._running

    def close(self) -> None:
        """Take no more jobs (the running one goes on until the process exits)."""
        with self._lock:
            self._closed = True

    def _run(self, name: str, job: Callable[[], object]) -> None:
        result = JobResult(name=name)
        try:
            result = JobResult(name=name, value=job())
        except Exception as exc:  # reported to the caller through state(), not lost
            log.exception("transaction job failed", worker=self._name, job=name)
            result = JobResult(name=name, error=exc)
        finally:
            with self._lock:
                self._finished.append(result)
                self._running = None


__all__ = ["JobResult", "TxWorker", "WorkerState"]

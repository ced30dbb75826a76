"""What every part of the journal works on: one engine, one in-process write lock, the injected
clock and the deployment's name. Each part (cycles, orders, transactions ...) owns its tables'
SQL and reaches the database only through ``write()`` and ``read()`` here."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import StatementError

from bot.journal.columns import Instant, to_ms
from bot.journal.engine import READ_ONLY_OPTION

Clock = Callable[[], datetime]


class Fence(Protocol):
    """Checks, before and inside a fenced write, that this process may still act."""

    def before(self) -> int:
        """The epoch to check; raises ``FencedOut`` when this process may not act at all."""
        ...

    def inside(self, conn: Connection, epoch: int) -> None:
        """Raises ``FencedOut`` when ``epoch`` is no longer the newest (in the transaction)."""
        ...


def system_clock() -> datetime:
    return datetime.now(UTC)


class Store:
    """Shared by every part of one ``Journal``: its transactions are serialised by one lock, so
    a write of one part never interleaves with a write of another in the same process."""

    def __init__(self, engine: Engine, *, deployment: str, clock: Clock) -> None:
        self.engine = engine
        self.deployment = deployment
        self.clock = clock
        self.fence: Fence | None = None  # set for a replica sharing the journal (bot.ha)
        self._lock = threading.RLock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        try:
            with self._lock, self.engine.begin() as conn:
                yield conn
        except StatementError as e:
            # A refused value (a float for money) surfaces as itself, not as a driver error.
            if isinstance(e.orig, TypeError | ValueError):
                raise type(e.orig)(str(e.orig)) from e
            raise

    @contextmanager
    def fenced_write(self) -> Iterator[Connection]:
        """A write that leads to an action (an order, a transaction, a money move): with a
        fence set, refused unless this process leads under the newest epoch. Without one,
        a plain ``write()``."""
        fence = self.fence
        if fence is None:
            with self.write() as conn:
                yield conn
            return
        epoch = fence.before()
        with self.write() as conn:
            fence.inside(conn, epoch)
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        # A deferred transaction on SQLite: readers (status commands) never queue for the
        # write lock, and WAL gives them a consistent snapshot.
        with (
            self._lock,
            self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn,
            conn.begin(),
        ):
            yield conn

    def ms(self, now: Instant | None) -> int:
        """``now`` in epoch milliseconds, the clock's time when it is omitted."""
        return to_ms(self.clock() if now is None else now)


__all__ = ["Clock", "Fence", "Store", "system_clock"]

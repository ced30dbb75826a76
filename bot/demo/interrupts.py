"""Ctrl-C and SIGTERM unwind the demo's processes the same way: a ``KeyboardInterrupt``, so
every ``finally`` stops what it started (anvil, the emulator, the daemon)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

# Set by Ctrl-C or SIGTERM. The handler raises KeyboardInterrupt at whatever bytecode runs,
# and Python swallows it when that is a __del__ (a requests/urllib3 connection collected
# mid-loop: "Exception ignored in ..."), so loops check this each tick too.
_INTERRUPTED = threading.Event()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every ``finally`` inside stops what it started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        _INTERRUPTED.set()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    _INTERRUPTED.clear()
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def raise_if_interrupted() -> None:
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt("interrupted")


__all__ = ["raise_if_interrupted", "sigterm_as_interrupt"]

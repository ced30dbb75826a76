"""listenKeys: one per (API key, venue), valid for a configurable time after POST or PUT.

Binance: "Doing a POST on an account with an active listenKey will return the currently active
listenKey and extend its validity for 60 minutes"; a PUT on an unknown or expired key answers
-1125. Keys are deterministic (a hash of a counter and the API key), never random.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from bot.emulator import errors
from bot.emulator.markets import Venue

LISTEN_KEY_UNKNOWN = errors.bad(-1125, "This listenKey does not exist.")


@dataclass
class _Entry:
    key: str
    api_key: str
    venue: Venue
    expires_ms: int


class ListenKeyBook:
    """Thread-safe: REST handlers run under the engine lock, sockets check keys without it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_owner: dict[tuple[str, Venue], _Entry] = {}
        self._counter = 0

    def open(self, api_key: str, venue: Venue, now_ms: int, validity_ms: int) -> str:
        with self._lock:
            entry = self._by_owner.get((api_key, venue))
            if entry is None or entry.expires_ms <= now_ms:
                self._counter += 1
                seed = f"{venue}:{self._counter}:{api_key}".encode()
                entry = _Entry(
                    key=hashlib.sha256(seed).hexdigest(),
                    api_key=api_key,
                    venue=venue,
                    expires_ms=0,
                )
                self._by_owner[(api_key, venue)] = entry
            entry.expires_ms = now_ms + validity_ms
            return entry.key

    def keepalive(self, api_key: str, venue: Venue, now_ms: int, validity_ms: int) -> str:
        with self._lock:
            entry = self._by_owner.get((api_key, venue))
            if entry is None or entry.expires_ms <= now_ms:
                raise LISTEN_KEY_UNKNOWN
            entry.expires_ms = now_ms + validity_ms
            return entry.key

    def close(self, api_key: str, venue: Venue) -> str | None:
        with self._lock:
            entry = self._by_owner.pop((api_key, venue), None)
            return None if entry is None else entry.key

    def owner(self, key: str, venue: Venue, now_ms: int) -> str | None:
        """The API key behind an active ``key`` on ``venue``, else None."""
        with self._lock:
            for entry in self._by_owner.values():
                if entry.key == key and entry.venue == venue and entry.expires_ms > now_ms:
                    return entry.api_key
            return None

    def expires_ms(self, key: str) -> int | None:
        """When ``key`` expires (None once it was closed or replaced)."""
        with self._lock:
            for entry in self._by_owner.values():
                if entry.key == key:
                    return entry.expires_ms
            return None

    def expire(self, api_key: str | None, now_ms: int) -> list[str]:
        """Expire every active key (of ``api_key`` if given) now; returns the keys."""
        with self._lock:
            expired = []
            for entry in self._by_owner.values():
                if (api_key is None or entry.api_key == api_key) and entry.expires_ms > now_ms:
                    entry.expires_ms = now_ms
                    expired.append(entry.key)
            return expired

    def clear(self) -> None:
        with self._lock:
            self._by_owner.clear()

"""Where a chain's heads come from when the config does not say: WebSocket URLs and block time.

Pure: strings and numbers in, strings and numbers out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

# Seconds per block. BNB Chain: 0.45 s since Fermi (BEP-619, mainnet 2026-01-14; 0.75 s under
# Maxwell before it); Ethereum: 12 s slots.
BLOCK_TIME_SECS: dict[int, float] = {56: 0.45, 97: 0.45, 1: 12.0, 11155111: 12.0}
# A chain not listed (a devnet, an L2 nobody configured): polled every second.
UNKNOWN_BLOCK_TIME_SECS = 1.0
STALL_BLOCKS = 3


def block_time_secs(chain_id: int, configured: float | None) -> float:
    if configured is not None:
        return configured
    return BLOCK_TIME_SECS.get(chain_id, UNKNOWN_BLOCK_TIME_SECS)


def stall_secs(block_time: float, configured: float | None) -> float:
    return configured if configured is not None else STALL_BLOCKS * block_time


def derived_ws_urls(rpc_urls: Iterable[str]) -> list[str]:
    """``ws://`` for each loopback ``http://`` RPC (anvil serves WebSocket on its HTTP port and
    path). A remote node's socket lives at a URL of its own that cannot be guessed: none."""
    out = []
    for url in rpc_urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and _is_loopback(parts.hostname or ""):
            scheme = "ws" if parts.scheme == "http" else "wss"
            out.append(urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, "")))
    return out


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unique(urls: Iterable[str]) -> list[str]:
    """In first-seen order: several positions on one chain share one watcher."""
    return list(dict.fromkeys(urls))


__all__ = ["block_time_secs", "derived_ws_urls", "stall_secs", "unique"]

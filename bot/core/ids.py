"""Deterministic client order ids.

python-binance signs ``:`` and ``/`` differently from what it sends, and Binance caps
``newClientOrderId`` at 36 characters, so ids use ``[A-Za-z0-9_-]`` only.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["CLIENT_ORDER_ID_MAX", "client_order_id"]

CLIENT_ORDER_ID_MAX = 36
_UNSAFE = re.compile(r"[^A-Za-z0-9]")


def client_order_id(position_name: str, cycle_id: int | str, intent_key: str) -> str:
    """``hb-<name prefix>-<80-bit digest>``: the same position, cycle and intent always give
    the same id (a retried submission is recognised), anything else a different one."""
    digest = hashlib.blake2b(
        f"{position_name}\x1f{cycle_id}\x1f{intent_key}".encode(), digest_size=10
    ).hexdigest()
    prefix = _UNSAFE.sub("", position_name)[:8] or "pos"
    return f"hb-{prefix}-{digest}"

"""Replicas on one PostgreSQL journal: the leadership lock, its lease, and the gate that lets
only the leader's loops act (see ``bot.core.ha`` for the arithmetic and why it is safe)."""

from __future__ import annotations

from bot.ha.leadership import Leadership, lock_key

__all__ = ["Leadership", "lock_key"]

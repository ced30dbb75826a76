"""How a config problem is reported: the key's dotted path, and where its value came from (a
line of the file, or an environment variable). Messages never repeat a secret-looking value."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A 32-byte hex private key, a 64-character Binance API key or secret, a BIP-39 mnemonic.
_SECRET_SHAPES = (
    re.compile(r"(0x)?[0-9a-fA-F]{64}"),
    re.compile(r"[A-Za-z0-9]{64}"),
    re.compile(r"[a-z]{3,8}( [a-z]{3,8}){11,23}"),
)
_SHOWN_MAX = 48


def looks_like_private_key(text: str) -> bool:
    return _SECRET_SHAPES[0].fullmatch(text.strip()) is not None


def looks_secret(text: str) -> bool:
    stripped = text.strip()
    return any(shape.fullmatch(stripped) for shape in _SECRET_SHAPES)


def shown(value: object) -> str:
    """``repr(value)`` for a message, unless it could be a secret or is too long to be useful."""
    text = str(value)
    if looks_secret(text):
        return "<a secret-looking value, not shown>"
    if len(text) > _SHOWN_MAX:
        return repr(text[:_SHOWN_MAX]) + "..."
    return repr(value)


def dotted(path: tuple[str, ...]) -> str:
    """A key path for a message: a secret-looking or very long key is not repeated."""
    parts = []
    for part in path:
        if looks_secret(part):
            parts.append("<secret-looking key>")
        else:
            parts.append(part if len(part) <= _SHOWN_MAX else part[:_SHOWN_MAX] + "...")
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    path: str  # dotted field path, e.g. "positions.0.rpc_urls"
    message: str
    line: int | None = None
    env: str | None = None  # the HEDGEBOT__ variable the value came from

    def __str__(self) -> str:
        if self.env:
            where = f"environment variable {self.env}: "
        else:
            where = f"line {self.line}: " if self.line else ""
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class ConfigError(Exception):
    """The config cannot be used; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid config {source}:\n{lines}")

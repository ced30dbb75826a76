"""structlog set-up: JSON lines off a TTY (or with ``--log-format json``), readable console
output on a TTY, and a redaction processor that masks secrets wherever they appear.

Every log line of a cycle carries ``cycle_id`` and ``position`` through structlog's context
variables (``bind_cycle``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bot.redact import MASK, scrub

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|secret|private[_-]?key|privkey|password|passphrase|mnemonic|"
    r"signature|token|authorization|x-mbx-apikey|seed)",
    re.IGNORECASE,
)
# Values that are secrets whatever key carries them.
_SECRET_VALUE_PATTERNS = (
    # signature=..., timestamp&signature in query strings, apiKey=..., token=... in URLs (the
    # punctuation after a value stays: "...?apiKey=***: timeout")
    re.compile(r"(?i)((?:signature|api[_-]?key|secret|token|password)=)[^&\s\"']*[^&\s\"':,.;)]"),
    # Telegram bot tokens in URL paths: /bot123456:ABC-def.../
    re.compile(r"(/bot)\d{5,}:[A-Za-z0-9_-]{20,}"),
    # Slack / Discord webhook paths
    re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9/]+"),
    re.compile(r"(discord(?:app)?\.com/api/webhooks/)[0-9]+/[A-Za-z0-9_-]+"),
    # 32-byte hex private keys (64 hex digits, optional 0x); tx hashes are logged as tx_hash
    re.compile(r"(?<![0-9a-fA-Fx])(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])"),
    # Binance API keys and secrets are 64 alphanumerics
    re.compile(r"(?<![A-Za-z0-9])()[A-Za-z0-9]{64}(?![A-Za-z0-9])"),
)
_PUBLIC_KEYS = frozenset({"tx_hash", "block_hash", "hash", "token_env", "url_env"})


def _mask_text(text: str) -> str:
    # URLs first: their credentials (userinfo, key path segments, query values) are found by
    # parsing, which the patterns below cannot do.
    text = scrub(text)
    for pattern in _SECRET_VALUE_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) or "") + MASK, text)
    return text


def _redact(value: Any, key: str | None = None) -> Any:
    if key in _PUBLIC_KEYS:
        return value  # a transaction hash looks like a private key but operators need it
    if key is not None and _SECRET_KEY.search(key):
        return MASK
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, Mapping):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(str(_redact(v)) for v in value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask API keys, secrets, private keys and ``signature=`` values, nested anywhere."""
    out: MutableMapping[str, Any] = {}
    for key, value in event_dict.items():
        if key == "event":
            out[key] = _mask_text(str(value))
        elif key in ("exc_info", "exception") and isinstance(value, str):
            out[key] = _mask_text(value)
        else:
            out[key] = _redact(value, key)
    return dict(out)


def _render_exceptions(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    # Render tracebacks to text BEFORE redaction, so secrets inside them are masked too.
    return structlog.processors.format_exc_info(_logger, _method, event_dict)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at write time: test runners and CLI runners swap
    and close streams, and a logger bound to a closed one fails from background threads."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


_STDERR = _CurrentStderr()


def configure_logging(
    *, fmt: Literal["auto", "json", "console"] = "auto", level: str = "INFO"
) -> None:
    """Configure structlog and stdlib logging once, at process start."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if use_json:
        shared.append(_render_exceptions)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, redact_secrets, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # Libraries (urllib3, web3, apscheduler) log through stdlib: route them through redaction.
    handler = logging.StreamHandler(_STDERR)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                redact_secrets,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)


@contextmanager
def bind_cycle(*, position: str, cycle_id: str) -> Iterator[None]:
    """Every log line inside carries the cycle id and position name."""
    with structlog.contextvars.bound_contextvars(position=position, cycle_id=cycle_id):
        yield

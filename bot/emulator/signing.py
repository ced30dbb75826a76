"""Binance request authentication: API key, HMAC-SHA256 signature, timestamp window."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from bot.emulator import errors

KEY_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000
_SIGNATURE = re.compile(r"(?:^|&)signature=([^&]*)")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Outcome of a signature check; ``lenient`` = accepted only in percent-decoded form."""

    lenient: bool


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_api_key(headers: Mapping[str, str], known: Mapping[str, str], ip: str) -> str:
    key = headers.get("x-mbx-apikey", "")
    if not key or not KEY_FORMAT.match(key):
        raise errors.KEY_FORMAT
    if key not in known:
        raise errors.invalid_key(ip)
    return key


def split_signature(query: str, body: str) -> tuple[str, str | None]:
    """Return (payload that was signed, signature); ``signature`` must come last."""
    for part, other, first in ((body, query, False), (query, body, True)):
        match = _SIGNATURE.search(part)
        if match is None:
            continue
        stripped = part[: match.start()] + part[match.end() :]
        payload = (stripped + other) if first else (other + stripped)
        return payload, match.group(1)
    return query + body, None


def verify_signature(secret: str, query: str, body: str, *, strict: bool) -> Verdict:
    payload, signature = split_signature(query, body)
    if not signature:
        raise errors.mandatory("signature")
    signature = signature.lower()
    if hmac.compare_digest(hmac_hex(secret, payload), signature):
        return Verdict(lenient=False)
    if not strict:
        # python-binance signs the unencoded values and requests then form-encodes them.
        candidates = {unquote_plus(payload)}
        if query and body:
            candidates.add(query + "&" + body.split("&signature=", maxsplit=1)[0])
        for candidate in candidates:
            if hmac.compare_digest(hmac_hex(secret, candidate), signature):
                return Verdict(lenient=True)
    raise errors.BAD_SIGNATURE


def check_timestamp(params: Mapping[str, str], server_ms: int) -> None:
    raw = params.get("timestamp", "")
    if not raw:
        raise errors.mandatory("timestamp")
    try:
        timestamp = int(raw)
    except ValueError:
        raise errors.mandatory("timestamp") from None
    raw_window = params.get("recvWindow", "")
    try:
        window = int(raw_window) if raw_window else DEFAULT_RECV_WINDOW
    except ValueError:
        raise errors.mandatory("recvWindow") from None
    if window <= 0:
        raise errors.invalid_value("recvWindow")
    if window > MAX_RECV_WINDOW:
        raise errors.RECV_WINDOW_TOO_BIG
    if timestamp >= server_ms + 1000:
        raise errors.TS_AHEAD
    if server_ms - timestamp > window:
        raise errors.TS_OUTSIDE

"""The API key pairs the emulator accepts besides its default one, and what its command line
must warn about.

Key pairs come from ``HEDGEBOT_EMULATOR_API_KEYS`` or the file named by
``HEDGEBOT_EMULATOR_API_KEYS_FILE`` (``KEY:SECRET`` items separated by newlines, spaces or
commas; ``#`` starts a comment line), read like the daemon's own secrets (``read_secret``: a
mounted ``/run/secrets/hedgebot_emulator_api_keys`` works too). ``--api-key``
still works, but an argument is visible to every user of the machine (``ps``,
``/proc/<pid>/cmdline``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from bot.config.secrets import read_secret

KEYS_ENV = "HEDGEBOT_EMULATOR_API_KEYS"
KeyPair = tuple[str, str]

ARGV_WARNING = (
    "--api-key puts the API secret in the process list (ps, /proc/<pid>/cmdline), readable "
    f"by every user of this machine: set {KEYS_ENV} or {KEYS_ENV}_FILE instead"
)


class KeySpecError(ValueError):
    """A key pair is malformed. The message never quotes it: it holds a secret."""


def parse_pair(text: str) -> KeyPair:
    key, sep, secret = text.strip().partition(":")
    if not sep or not key or not secret:
        raise KeySpecError("expected KEY:SECRET (the value is not shown: it holds a secret)")
    return key, secret


def parse_pairs(text: str, source: str) -> list[KeyPair]:
    """Every ``KEY:SECRET`` item of ``text``; ``source`` names it in errors."""
    pairs: list[KeyPair] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("#"):
            continue
        for item in re.split(r"[\s,]+", line.strip()):
            if not item:
                continue
            try:
                pairs.append(parse_pair(item))
            except KeySpecError as exc:
                raise KeySpecError(f"{source}, line {number}: {exc}") from None
    return pairs


def keys_from_env(env: Mapping[str, str] | None = None) -> list[KeyPair]:
    """The pairs of ``HEDGEBOT_EMULATOR_API_KEYS`` (or its ``_FILE``); none when unset.
    Raises ``SecretError`` when both are set or the file cannot be read."""
    text = read_secret(KEYS_ENV, env)
    return [] if text is None else parse_pairs(text.reveal(), KEYS_ENV)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def startup_warnings(host: str, *, keys_on_command_line: bool) -> list[str]:
    """What the operator must hear before the emulator listens on ``host``."""
    warnings: list[str] = []
    if not is_loopback(host):
        warnings.append(
            f"--host {host} is not a loopback address: anyone who can reach this port can use "
            "the emulator, and its control plane (/_emulator/: reset, fund, add API keys, "
            "snapshot) has no authentication. Bind 127.0.0.1 unless this runs in an isolated "
            "container network."
        )
    if keys_on_command_line:
        warnings.append(ARGV_WARNING)
    return warnings

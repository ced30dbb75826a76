"""Load a deployment config: YAML -> environment overrides -> validated ``HedgebotConfig``.

Every problem is reported at once, each with its field path and, where the YAML gives one,
its line number; nothing runs on an invalid config.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.config.models import HedgebotConfig
from bot.redact import scrub

ENV_PREFIX = "HEDGEBOT__"
# Keys that hold secrets: these must come from the environment, never from a file in the repo.
_SECRET_KEY = re.compile(
    r"(api[_-]?key|api[_-]?secret|secret|private[_-]?key|password|passphrase|mnemonic|^token$)",
    re.IGNORECASE,
)


# Fields whose value is never echoed back: a private key pasted where the wallet address belongs
# would otherwise land in the terminal, a CI log or a support ticket.
_ADDRESS_FIELDS = frozenset({"wallet", "addresses_provider", "reserve_wallet"})
_PRIVATE_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_HIDDEN_INPUT = "the value given"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    path: str  # dotted field path, e.g. "positions.0.rpc_urls"
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path or '<root>'}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid config {source}:\n{lines}")


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that also records the line of every mapping key and sequence item."""


def _compose_lines(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            out[(*path, key)] = key_node.start_mark.line + 1
            _compose_lines(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _compose_lines(item, (*path, str(index)), out)


def _parse_yaml(text: str, source: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = ConfigProblem("", scrub(f"not valid YAML: {exc}"), line)
        raise ConfigError(source, [problem]) from exc
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _compose_lines(node, (), lines)
    return data, lines


def _find_secrets(data: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            # "token_env"/"url_env" name an environment variable: that is the allowed form.
            if _SECRET_KEY.search(str(key)) and not str(key).endswith("_env"):
                found.append(here)
            found.extend(_find_secrets(value, here))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(_find_secrets(item, (*path, str(index))))
    return found


_PLAIN_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


def _env_value(raw: str) -> Any:
    """A YAML scalar, except that YAML 1.1's hex/octal/sexagesimal readings are refused: an
    address like 0x70997970... must stay a string, not become an integer."""
    value = yaml.safe_load(raw) if raw.strip() else raw
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and not _PLAIN_NUMBER.fullmatch(raw.strip()):
        return raw
    return value


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    """Apply ``HEDGEBOT__SECTION__KEY=value`` overrides (values parsed as YAML scalars).

    List items are addressed by index: ``HEDGEBOT__POSITIONS__0__WALLET``. Returns the dotted
    paths that were overridden.
    """
    applied: list[str] = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        cursor: Any = data
        for part in parts[:-1]:
            is_list = isinstance(cursor, list)
            cursor = cursor[int(part)] if is_list else cursor.setdefault(part, {})
        value = _env_value(env[name])
        if isinstance(cursor, list):
            cursor[int(parts[-1])] = value
        else:
            cursor[parts[-1]] = value
        applied.append(".".join(parts))
    return applied


def _problems_from(exc: ValidationError, lines: dict[tuple[str, ...], int]) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        # Discriminated unions add the tag (e.g. "ratio") to the location; it is not a key.
        loc_keys = tuple(
            p for p in loc if p not in {"ratio", "loss_fraction", "health_target", "ladder", "none"}
        )
        line = None
        for cut in range(len(loc_keys), -1, -1):
            line = lines.get(loc_keys[:cut])
            if line is not None:
                break
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (not part of the config schema; check its spelling)"
        elif err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            message = (
                f"unknown policy {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
            )
        problems.append(ConfigProblem(".".join(loc_keys), _safe(message, loc_keys, err), line))
    return problems


def _safe(message: str, loc: tuple[str, ...], err: ErrorDetails) -> str:
    """``message`` without the input when it may be a secret, and without URL credentials."""
    value = err.get("input")
    if isinstance(value, str) and value:
        looks_like_key = _PRIVATE_KEY.fullmatch(value.strip()) is not None
        if looks_like_key or (loc and loc[-1] in _ADDRESS_FIELDS):
            message = message.replace(repr(value), _HIDDEN_INPUT).replace(value, _HIDDEN_INPUT)
        if looks_like_key:
            message += " (it looks like a private key: never write one in the config; the "
            message += "reserve wallet's key goes in HEDGEBOT_WALLET_KEY or a keystore)"
    return scrub(message)


def parse_config(
    text: str, *, source: str = "<string>", env: Mapping[str, str] | None = None
) -> HedgebotConfig:
    """Validate YAML text into a config, applying ``HEDGEBOT__*`` overrides from ``env``."""
    env = os.environ if env is None else env
    data, lines = _parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("", "the file must be a YAML mapping", 1)])
    secrets = _find_secrets(data)
    if secrets:
        raise ConfigError(
            source,
            [
                ConfigProblem(
                    ".".join(path),
                    "secrets must not be written in YAML: use BINANCE_API_KEY / "
                    "BINANCE_API_SECRET (or *_FILE), HEDGEBOT_WALLET_KEY, or an *_env field "
                    "naming an environment variable",
                    lines.get(path),
                )
                for path in secrets
            ],
        )
    try:
        apply_env_overrides(data, env)
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(source, [ConfigProblem("", f"bad HEDGEBOT__ override: {exc}")]) from exc
    try:
        return HedgebotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, _problems_from(exc, lines)) from exc


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> HedgebotConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [ConfigProblem("", f"cannot read file: {exc.strerror}")]
        ) from exc
    return parse_config(text, source=str(path), env=env)

"""``HEDGEBOT__SECTION__KEY=value`` environment overrides, applied onto the parsed YAML.

Values are read as YAML (``5``, ``true``, ``[http://a, http://b]``) by the config's own loader;
text that is not YAML is taken literally. List items are addressed by index
(``HEDGEBOT__POSITIONS__0__WALLET``). Every bad variable is reported by its name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.errors import ConfigError, ConfigProblem, dotted
from bot.config.yaml_source import ConfigPath, parse_yaml

ENV_PREFIX = "HEDGEBOT__"
# Settings an environment variable must not change: a leaked or inherited variable would
# otherwise turn a testnet deployment into a real-money one.
FILE_ONLY: dict[ConfigPath, str] = {
    ("allow_mainnet",): "the mainnet opt-in must be written in the config file "
    "(allow_mainnet: true), it cannot be set through the environment",
}
_INDEX = re.compile(r"[0-9]{1,9}")
_NULLS = frozenset({"~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class Override:
    env: str  # the variable's name
    path: ConfigPath  # the key it sets


class _Refused(Exception):
    pass


def apply_env_overrides(
    data: dict[str, Any], env: Mapping[str, str], *, source: str = "<string>"
) -> list[Override]:
    """Apply every ``HEDGEBOT__`` variable of ``env`` onto ``data`` (in place)."""
    applied: list[Override] = []
    problems: list[ConfigProblem] = []
    by_path: dict[ConfigPath, str] = {}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        path: ConfigPath = ()
        try:
            path = _path_of(name)
            if path in FILE_ONLY:
                raise _Refused(FILE_ONLY[path])
            if path in by_path:
                raise _Refused(f"sets the same key as {by_path[path]}")
            _assign(data, path, env_value(env[name]))
        except _Refused as exc:
            problems.append(ConfigProblem(dotted(path), str(exc), env=name))
            continue
        by_path[path] = name
        applied.append(Override(name, path))
    if problems:
        raise ConfigError(source, problems)
    return applied


def env_value(raw: str) -> Any:
    """The value as YAML reads it, or the literal text when it is not YAML (``@channel``)."""
    if not raw.strip():
        return raw
    try:
        value = parse_yaml(raw, "<environment>").data
    except ConfigError:
        return raw
    if value is None and raw.strip() not in _NULLS:
        return raw  # "#general" is a comment to YAML, text to whoever set it
    return value


def _path_of(name: str) -> ConfigPath:
    rest = name[len(ENV_PREFIX) :]
    if not rest:
        raise _Refused("names no config key (expected e.g. HEDGEBOT__HEDGE__LEVERAGE)")
    parts = rest.lower().split("__")
    if not all(parts):
        raise _Refused("has an empty key: separate keys with exactly two underscores")
    return tuple(parts)


def _assign(data: dict[str, Any], path: ConfigPath, value: Any) -> None:
    cursor: Any = data
    for depth in range(len(path) - 1):
        cursor = _child(cursor, path[: depth + 1])
    key = path[-1]
    if isinstance(cursor, list):
        cursor[_index(cursor, path)] = value
    else:
        cursor[key] = value


def _child(parent: dict[str, Any] | list[Any], path: ConfigPath) -> dict[str, Any] | list[Any]:
    """The mapping or list at ``path`` (its last key within ``parent``); an absent or empty
    section is created."""
    key = path[-1]
    if isinstance(parent, list):
        index = _index(parent, path)
        child = parent[index]
        if child is None:
            child = parent[index] = {}
    else:
        child = parent.get(key)
        if child is None:
            child = parent[key] = {}
    if not isinstance(child, dict | list):
        raise _Refused(
            f"{'.'.join(path)} holds a single value ({type(child).__name__}), not a section: "
            "it has no keys to set"
        )
    return child


def _index(items: list[Any], path: ConfigPath) -> int:
    where, part = ".".join(path[:-1]), path[-1]
    last = f"0 to {len(items) - 1}" if items else "none: the list is empty"
    if not _INDEX.fullmatch(part):
        raise _Refused(f"{where} is a list: {part!r} is not an item number (items: {last})")
    index = int(part)
    if index >= len(items):
        raise _Refused(
            f"{where} has {len(items)} item(s): there is no item {index} (items: {last})"
        )
    return index


def involved(overrides: list[Override], path: ConfigPath) -> tuple[list[str], list[str]]:
    """The variables that set ``path`` or a section holding it, and those that set a key
    inside it (which a rule about the section as a whole may be about)."""
    setting = [o.env for o in overrides if path[: len(o.path)] == o.path]
    inside = [o.env for o in overrides if len(o.path) > len(path) and o.path[: len(path)] == path]
    return setting, inside

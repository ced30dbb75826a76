"""Load a deployment config: YAML -> environment overrides -> validated ``HedgebotConfig``.

Every problem is reported at once, each with its field path and where its value came from: the
line of the file, or the ``HEDGEBOT__`` variable that set it. Nothing runs on an invalid config,
and no message repeats a secret-looking value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.config.errors import ConfigError, ConfigProblem, dotted, looks_secret, shown
from bot.config.models import POLICY_KINDS, HedgebotConfig, RelationError
from bot.config.overrides import ENV_PREFIX, Override, apply_env_overrides, involved
from bot.config.yaml_source import ConfigPath, parse_yaml, read_config_text
from bot.redact import scrub

__all__ = [
    "ENV_PREFIX",
    "ConfigError",
    "ConfigProblem",
    "apply_env_overrides",
    "load_config",
    "parse_config",
]

# Keys that hold secrets: these must come from the environment, never from a file in the repo.
_SECRET_KEY = re.compile(
    r"(api[_-]?key|api[_-]?secret|secret|private[_-]?key|password|passphrase|mnemonic|^token$)",
    re.IGNORECASE,
)
_USE_THE_ENVIRONMENT = (
    "secrets must not be written in YAML: use BINANCE_API_KEY / BINANCE_API_SECRET (or *_FILE), "
    "HEDGEBOT_WALLET_KEY, or an *_env field naming an environment variable"
)
_NEVER_IN_CONFIG = (
    "looks like a private key, API secret or seed phrase: never put keys in the config "
    "(the wallet key comes from HEDGEBOT_WALLET_KEY, Binance keys from BINANCE_API_KEY/SECRET)"
)


def _find_secrets(data: Any, path: ConfigPath = ()) -> list[tuple[ConfigPath, str]]:
    """Secret-named keys and secret-looking values, each with the reason to refuse it."""
    found: list[tuple[ConfigPath, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            # "token_env"/"url_env" name an environment variable: that is the allowed form.
            if _SECRET_KEY.search(str(key)) and not str(key).endswith("_env"):
                found.append((here, _USE_THE_ENVIRONMENT))
            else:
                found.extend(_find_secrets(value, here))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(_find_secrets(item, (*path, str(index))))
    elif isinstance(data, str) and looks_secret(data) and path[-1:] not in _ADDRESS_KEYS:
        found.append((path, _NEVER_IN_CONFIG))
    return found


# An address field reports a pasted key itself ("not an address"), with the field's rules.
_ADDRESS_KEYS = frozenset(
    {("wallet",), ("reserve_wallet",), ("addresses_provider",), ("comptroller",)}
)


def _line_of(lines: dict[ConfigPath, int], path: ConfigPath) -> int | None:
    for cut in range(len(path), -1, -1):
        line = lines.get(path[:cut])
        if line is not None:
            return line
    return None


def _problem(
    path: ConfigPath,
    message: str,
    lines: dict[ConfigPath, int],
    overrides: list[Override],
    related: tuple[ConfigPath, ...] = (),
) -> ConfigProblem:
    """A problem at ``path`` (about the ``related`` keys, if given): attributed to the variable
    that set a value involved, if one did, else to the line of the first key in the file."""
    targets = related or (path,)
    setting: list[str] = []
    inside: list[str] = []
    for target in targets:
        sets, sets_inside = involved(overrides, target)
        setting += [env for env in sets if env not in setting]
        inside += [env for env in sets_inside if env not in inside]
    if setting:
        return ConfigProblem(dotted(path), message, env=", ".join(setting))
    if inside:
        message += f" (set through the environment: {', '.join(inside)})"
    in_file = [target for target in targets if target in lines] or [path]
    return ConfigProblem(dotted(path), message, _line_of(lines, in_file[0]))


def _location(err: ErrorDetails) -> ConfigPath:
    """The error's key path, without the tags a discriminated union adds after ``policy``."""
    loc = [str(p) for p in err["loc"]]
    keys: list[str] = []
    for index, part in enumerate(loc):
        after_policy = index >= 1 and loc[index - 1] == "policy"
        in_policies = index >= 2 and loc[index - 2] == "policies"
        if part in POLICY_KINDS and (after_policy or in_policies):
            continue
        keys.append(part)
    return tuple(keys)


def _message(err: ErrorDetails, path: ConfigPath) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind == "extra_forbidden":
        key = path[-1] if path else ""
        return f"unknown key {shown(key)} (not part of the config schema; check its spelling)"
    if kind == "union_tag_invalid":
        return f"unknown policy {shown(ctx.get('tag'))}; expected one of {POLICY_KINDS}"
    if kind == "union_tag_not_found":
        return f"a policy needs a kind: one of {POLICY_KINDS}"
    return str(err["msg"]).removeprefix("Value error, ")


def _problems_from(
    exc: ValidationError, lines: dict[ConfigPath, int], overrides: list[Override]
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        path = _location(err)
        cause = err.get("ctx", {}).get("error")
        related: tuple[ConfigPath, ...] = ()
        if isinstance(cause, RelationError):
            related = tuple((*path, *key.split(".")) for key in cause.keys)
        problems.append(_problem(path, scrub(_message(err, path)), lines, overrides, related))
    return problems


def _top_level_problem(data: Any) -> ConfigProblem | None:
    if data is None:
        return ConfigProblem("", "the file is empty: it must hold the config's sections", 1)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        return ConfigProblem(
            "",
            f"the top level is {kind}: it must be a mapping of sections "
            "(network, positions, tokens, hedge, ...)",
            1,
        )
    return None


def parse_config(
    text: str, *, source: str = "<string>", env: Mapping[str, str] | None = None
) -> HedgebotConfig:
    """Validate YAML text into a config, applying ``HEDGEBOT__*`` overrides from ``env``."""
    env = os.environ if env is None else env
    document = parse_yaml(text, source)
    data, lines = document.data, document.lines
    top = _top_level_problem(data)
    if top is not None:
        raise ConfigError(source, [top])
    overrides = apply_env_overrides(data, env, source=source)
    secrets = _find_secrets(data)
    if secrets:
        raise ConfigError(
            source, [_problem(path, message, lines, overrides) for path, message in secrets]
        )
    try:
        return HedgebotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, _problems_from(exc, lines, overrides)) from exc


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> HedgebotConfig:
    path = Path(path)
    return parse_config(read_config_text(path), source=str(path), env=env)

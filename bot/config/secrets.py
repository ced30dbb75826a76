"""Secrets come from the environment or from files named by ``*_FILE`` variables (Docker
secrets), never from YAML. Their ``repr`` is masked so they cannot reach a log line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SecretError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Secret:
    value: str

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def reveal(self) -> str:
        return self.value


DEFAULT_SECRETS_DIR = "/run/secrets"  # where Docker and Kubernetes mount secrets


def read_secret(name: str, env: Mapping[str, str] | None = None) -> Secret | None:
    """Read ``name`` from the environment, the file named by ``name``_FILE, or
    ``$HEDGEBOT_SECRETS_DIR/<name in lower case>`` (default /run/secrets) when it exists."""
    env = os.environ if env is None else env
    direct = env.get(name)
    file_name = env.get(f"{name}_FILE")
    if direct and file_name:
        raise SecretError(f"set either {name} or {name}_FILE, not both")
    if direct:
        return Secret(direct.strip())
    if file_name:
        path = Path(file_name)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"{name}_FILE={file_name}: cannot read ({exc.strerror})") from exc
        if not text:
            raise SecretError(f"{name}_FILE={file_name}: the file is empty")
        return Secret(text)
    mounted = mounted_secret_path(Path(env.get("HEDGEBOT_SECRETS_DIR", DEFAULT_SECRETS_DIR)), name)
    if mounted.is_file():
        text = mounted.read_text(encoding="utf-8").strip()
        return Secret(text) if text else None
    return None


def mounted_secret_path(directory: Path, name: str) -> Path:
    """Where a secret named ``name`` (an environment variable's name) is mounted in
    ``directory``, as Docker mounts secrets: ``HEDGEBOT_WALLET_KEY`` -> ``hedgebot_wallet_key``."""
    return directory / name.lower()


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    key: Secret
    secret: Secret


def binance_credentials(env: Mapping[str, str] | None = None) -> ApiCredentials | None:
    """``BINANCE_API_KEY`` / ``BINANCE_API_SECRET`` (or their ``_FILE`` forms); None when
    neither is set, which means dry-run."""
    key = read_secret("BINANCE_API_KEY", env)
    secret = read_secret("BINANCE_API_SECRET", env)
    if key is None and secret is None:
        return None
    if key is None or secret is None:
        missing = "BINANCE_API_KEY" if key is None else "BINANCE_API_SECRET"
        raise SecretError(f"{missing} is not set (nor {missing}_FILE) but its pair is")
    return ApiCredentials(key=key, secret=secret)

"""The demo stack's processes, said once for ``hedgebot demo`` and for docker/compose.yaml's
demo profile: the ``hedgebot`` arguments of the devnet (anvil with the cached deployment and
the demo's borrower, reserve and exchange wallet), of the emulator and of the daemon, and the
files the devnet leaves the daemon (its config, its keys).

``hedgebot demo`` runs the daemon with ``daemon_args`` on a config ``write_daemon_config``
wrote; the compose file's services run the same arguments after the image's ``hedgebot``
entrypoint (``tests/docker/test_compose_demo.py`` renders the file and compares).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.config import load_config
from bot.config.overrides import apply_env_overrides
from bot.config.secrets import mounted_secret_path
from bot.config.yaml_source import parse_yaml, read_config_text
from bot.demo.daemon_process import daemon_args
from bot.demo.stack import DEMO_CONFIG
from bot.devnet.dump import atomic_write_text

DEVNET_PORT = 8545  # anvil's own default: wallets and `cast` find it there
EMULATOR_PORT = 8700
DAEMON_CONFIG_NAME = "config.yaml"  # in the devnet's --out directory
SECRETS_DIR_NAME = "secrets"  # likewise; one file per secret, named as Docker names them
JOURNAL_NAME = "journal.db"
_GENERATED = "# Written by the hedgebot demo stack: config/demo.yaml pointed at a local stack.\n"


def devnet_args(
    *,
    protocol: str,
    host: str,
    port: int,
    rpc_url: str,
    exchange_url: str,
    out_dir: str,
    ready_file: str,
) -> list[str]:
    """``hedgebot devnet``: anvil with ``protocol``'s cached deployment on ``host``:``port``,
    set up as ``hedgebot demo`` sets it up, the daemon's config and keys written to
    ``out_dir`` and ``ready_file`` touched when all is ready."""
    return [
        "devnet",
        "--protocol", protocol,
        "--host", host,
        "--port", str(port),
        "--rpc-url", rpc_url,
        "--exchange-url", exchange_url,
        "--out", out_dir,
        "--ready-file", ready_file,
    ]  # fmt: skip


def emulator_args(*, host: str, port: int) -> list[str]:
    """``hedgebot emulator`` with a fresh state each start, as the devnet's chain is."""
    return ["emulator", "--host", host, "--port", str(port)]


def write_daemon_config(path: Path, overrides: Mapping[str, str]) -> Path:
    """``config/demo.yaml`` with ``overrides`` (``HEDGEBOT__`` names) written into it, checked
    as the daemon will load it (with no environment of its own)."""
    data = parse_yaml(read_config_text(DEMO_CONFIG), str(DEMO_CONFIG)).data
    apply_env_overrides(data, overrides, source=str(DEMO_CONFIG))
    atomic_write_text(path, _GENERATED + yaml.safe_dump(data, sort_keys=False))
    load_config(path, env={})  # a ConfigError names the file and the field
    return path


def write_secret_files(directory: Path, secrets: Mapping[str, str]) -> Path:
    """One file per secret, readable by its owner only, named as a Docker secret is mounted
    (``HEDGEBOT_WALLET_KEY`` -> ``hedgebot_wallet_key``): the daemon reads them with
    ``HEDGEBOT_SECRETS_DIR`` pointing here."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in secrets.items():
        atomic_write_text(mounted_secret_path(directory, name), value + "\n")
    return directory


__all__ = [
    "DAEMON_CONFIG_NAME",
    "DEVNET_PORT",
    "EMULATOR_PORT",
    "JOURNAL_NAME",
    "SECRETS_DIR_NAME",
    "daemon_args",
    "devnet_args",
    "emulator_args",
    "write_daemon_config",
    "write_secret_files",
]

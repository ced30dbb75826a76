"""The ``hedgebot`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from bot.config import ConfigError, HedgebotConfig, load_config
from bot.config.advice import config_warnings
from bot.config.secrets import SecretError, binance_credentials
from bot.logs import configure_logging

app = typer.Typer(
    name="hedgebot",
    help="Protects DeFi borrowers from liquidation: hedges on Binance Futures, repays on-chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)
out = Console()

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Deployment YAML file.")]
LogFormat = Annotated[
    str, typer.Option("--log-format", help="auto (console on a TTY, else JSON), json, console.")
]

EXIT_CONFIG = 2


def _load(path: Path) -> HedgebotConfig:
    """Load a config or exit 2 with one line per problem; nothing else runs."""
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"[bold red]invalid config[/] {exc.source}:", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(EXIT_CONFIG) from exc


def _have_keys() -> bool:
    try:
        return binance_credentials() is not None
    except SecretError as exc:
        err.print(f"[bold red]secrets:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc


def _logging(fmt: str) -> None:
    if fmt not in ("auto", "json", "console"):
        err.print(f"--log-format must be auto, json or console, not {fmt!r}")
        raise typer.Exit(EXIT_CONFIG)
    chosen: Literal["auto", "json", "console"] = fmt  # type: ignore[assignment]
    configure_logging(fmt=chosen)


@app.command("check-config")
def check_config(
    file: Annotated[Path, typer.Argument(help="Deployment YAML file.")],
) -> None:
    """Validate a config and print it resolved (defaults filled in, secrets masked)."""
    config = _load(file)
    have_keys = _have_keys()
    resolved = config.model_dump(mode="json")
    resolved["secrets"] = {
        "BINANCE_API_KEY": "*** (set)" if have_keys else "(not set: dry-run)",
        "BINANCE_API_SECRET": "*** (set)" if have_keys else "(not set: dry-run)",
    }
    out.print_json(json.dumps(resolved))
    for warning in config_warnings(config, have_api_keys=have_keys):
        err.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    err.print(f"[green]{file}: valid[/]")


@app.command("config-schema")
def config_schema() -> None:
    """Print the config's JSON Schema (for editor completion)."""
    sys.stdout.write(json.dumps(HedgebotConfig.model_json_schema(), indent=2) + "\n")


@app.command("emulator")
def emulator(
    port: Annotated[int, typer.Option(help="Port to listen on (loopback).")] = 8700,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    state: Annotated[Path | None, typer.Option(help="JSON file that keeps state across restarts.")] = None,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Extra KEY:SECRET pair (repeatable).")
    ] = None,
    server_skew_ms: Annotated[int, typer.Option(help="Server clock skew, to test -1021.")] = 0,
) -> None:
    """Run the local Binance Futures emulator (USD-M /fapi and COIN-M /dapi)."""
    from bot.emulator.server import serve

    pairs = []
    for item in api_key or []:
        key, sep, secret = item.partition(":")
        if not sep or not key or not secret:
            err.print(f"--api-key {item!r}: expected KEY:SECRET")
            raise typer.Exit(EXIT_CONFIG)
        pairs.append((key, secret))
    serve(host=host, port=port, state_file=state, api_keys=pairs, server_skew_ms=server_skew_ms)


def main() -> None:
    app()

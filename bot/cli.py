"""The ``hedgebot`` command line."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from bot.config import ConfigError, HedgebotConfig, load_config
from bot.config.advice import config_notes, config_warnings
from bot.config.secrets import SecretError, binance_credentials
from bot.logs import configure_logging
from bot.redact import scrub

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


@app.callback()
def _root() -> None:
    """Logs go to stderr (JSON off a TTY) so stdout stays clean for --json and reports."""
    configure_logging(fmt="auto")


@app.command("check-config")
def check_config(
    file: Annotated[Path, typer.Argument(help="Deployment YAML file.")],
) -> None:
    """Validate a config and print it resolved (defaults filled in, secrets masked)."""
    config = _load(file)
    have_keys = _have_keys()
    resolved = _scrubbed(config.model_dump(mode="json"))
    resolved["secrets"] = {
        "BINANCE_API_KEY": "*** (set)" if have_keys else "(not set: dry-run)",
        "BINANCE_API_SECRET": "*** (set)" if have_keys else "(not set: dry-run)",
    }
    out.print_json(json.dumps(resolved))
    for warning in config_warnings(config, have_api_keys=have_keys) + _key_warnings(config):
        err.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    for note in config_notes(config):
        err.print(f"note: {note}", highlight=False)
    err.print(f"[green]{file}: valid[/]")


def _scrubbed(value: Any) -> Any:
    """Every string of a JSON value with its URLs' credentials masked (RPC keys, the journal's
    database password), whichever field holds it."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _config_urls(config: HedgebotConfig) -> list[str]:
    """The URLs of a config that may carry credentials, to mask them in error messages that
    quote them only in part."""
    urls = [str(u) for p in config.positions for u in p.rpc_urls] + [config.journal.url]
    return urls + ([str(config.exchange_base_url)] if config.exchange_base_url else [])


def _key_warnings(config: HedgebotConfig) -> list[str]:
    """What ``run`` would say of the reserve wallet's key, said before it is run."""
    from bot.wallet.signer import SignerError, load_signer

    protect = config.protect
    if protect is None:
        return []
    if not protect.enabled:
        return ["protect.enabled: false: repay protection is OFF (the guard only watches)"]
    out = []
    for position in config.positions:
        owner = protect.reserve_wallet or position.wallet
        try:
            load_signer(expected_address=owner)
        except SignerError as exc:
            out.append(
                f"positions {position.name!r}: the reserve wallet's key cannot be used ({exc}); "
                "`hedgebot run` refuses to start until it can, or until protect.enabled: false"
            )
    return out


@app.command("config-schema")
def config_schema() -> None:
    """Print the config's JSON Schema (for editor completion)."""
    sys.stdout.write(json.dumps(HedgebotConfig.model_json_schema(), indent=2) + "\n")


@app.command("emulator")
def emulator(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    host: Annotated[
        str,
        typer.Option(
            help="Interface to bind (not loopback: a warning, the control plane "
            "has no authentication)."
        ),
    ] = "127.0.0.1",
    state: Annotated[
        Path | None, typer.Option(help="JSON file that keeps state across restarts.")
    ] = None,
    api_key: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            help="Extra KEY:SECRET pair (repeatable; visible in the process list: prefer "
            "HEDGEBOT_EMULATOR_API_KEYS or HEDGEBOT_EMULATOR_API_KEYS_FILE).",
        ),
    ] = None,
    server_skew_ms: Annotated[int, typer.Option(help="Server clock skew, to test -1021.")] = 0,
    chain_rpc: Annotated[
        str | None,
        typer.Option(
            help="Link the wallet to this EVM RPC (anvil): withdrawals are sent from the hot "
            "wallet (key in HEDGEBOT_EMULATOR_HOT_WALLET_KEY or _FILE), deposits credited."
        ),
    ] = None,
    chain_coin: Annotated[
        list[str] | None,
        typer.Option(
            help="A coin on the chain (repeatable): coin=USDC,network=BSC,contract_address=0x..,"
            "decimals=6[,withdraw_fee=..,withdraw_min=..,withdraw_max=..,withdraw_multiple=..,"
            "min_confirm=..,unlock_confirm=..,deposit_dust=..]"
        ),
    ] = None,
    withdraw_delay_secs: Annotated[
        str | None, typer.Option(help="Seconds from withdraw/apply to the on-chain transfer.")
    ] = None,
    withdraw_whitelist: Annotated[
        list[str] | None,
        typer.Option(help="Withdrawal address whitelist (repeatable; none: no whitelist)."),
    ] = None,
) -> None:
    """Run the local Binance emulator: USD-M /fapi, COIN-M /dapi, spot /api and wallet /sapi.

    Extra key pairs: HEDGEBOT_EMULATOR_API_KEYS or HEDGEBOT_EMULATOR_API_KEYS_FILE (KEY:SECRET
    items); --api-key also works but shows the secret in the process list. --chain-rpc links
    the wallet to a chain; without it withdrawals stay processing (status 4)."""
    from rich.markup import escape

    from bot.emulator.chain_link import ChainLinkError
    from bot.emulator.chain_options import ChainOptionError, chain_link_from_options
    from bot.emulator.keys import KeySpecError, keys_from_env, parse_pair, startup_warnings
    from bot.emulator.server import serve

    for warning in startup_warnings(host, keys_on_command_line=bool(api_key)):
        err.print(f"[bold red]WARNING:[/] {warning}", highlight=False)
    try:
        pairs = keys_from_env() + [parse_pair(item) for item in api_key or []]
    except (KeySpecError, SecretError) as exc:
        err.print(f"[bold red]emulator API keys:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc
    try:
        chain = chain_link_from_options(
            rpc_url=chain_rpc,
            coins=chain_coin or [],
            withdraw_delay_secs=withdraw_delay_secs,
            whitelist=withdraw_whitelist or [],
        )
        serve(
            host=host,
            port=port,
            state_file=state,
            api_keys=pairs,
            server_skew_ms=server_skew_ms,
            chain=chain,
        )
    except (ChainOptionError, ChainLinkError) as exc:
        err.print(f"[bold red]emulator chain link:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc


@app.command("run")
def run(
    config: ConfigOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Trade on the paper exchange.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Confirm real trading on mainnet.")] = False,
    max_cycles: Annotated[
        int | None, typer.Option(help="Stop after this many cycles (tests, rehearsals).")
    ] = None,
    log_format: LogFormat = "auto",
) -> None:
    """Run the hedging daemon until SIGTERM/SIGINT."""
    _logging(log_format)
    cfg = _load(config)
    have_keys = _have_keys()
    _log_warnings(cfg, have_keys=have_keys)
    from bot.chain.rpc import ChainError
    from bot.daemon.app import run_daemon
    from bot.daemon.guard.build import ProtectionKeyError
    from bot.daemon.hedger.venue import UnexplainedPositionError
    from bot.daemon.wiring import LiveTradingRefused
    from bot.exchange.errors import ExchangeError
    from bot.journal import JournalUnavailable

    try:
        code = run_daemon(cfg, dry_run=dry_run, live=live, max_cycles=max_cycles)
    except (
        LiveTradingRefused,
        ChainError,
        ExchangeError,  # a refusal at set-up, or no contract specs for the paper exchange
        JournalUnavailable,
        UnexplainedPositionError,
        ProtectionKeyError,
        SecretError,
    ) as exc:
        err.print(
            f"[bold red]not starting:[/] {scrub(str(exc), _config_urls(cfg))}", highlight=False
        )
        raise typer.Exit(EXIT_CONFIG) from exc
    raise typer.Exit(code)


def _log_warnings(config: HedgebotConfig, *, have_keys: bool) -> None:
    """What check-config warns of, said again by the daemon (in its log format) at start."""
    import structlog

    log = structlog.get_logger("bot.cli")
    for warning in config_warnings(config, have_api_keys=have_keys):
        log.warning("config warning", detail=warning)


@app.command("pause")
def pause(
    config: ConfigOption,
    reason: Annotated[str, typer.Option(help="Why (kept in the journal).")] = "operator pause",
) -> None:
    """Pause the hedger (no orders); the guard keeps repaying. The daemon obeys at its next
    cycle."""
    from bot.daemon.operator import set_pause

    set_pause(_load(config), paused=True, reason=reason)
    out.print(
        "hedger paused: no orders from its next cycle on; the guard keeps protecting "
        "(hedgebot guard stop is its own command)"
    )


@app.command("resume")
def resume(
    config: ConfigOption,
    reason: Annotated[str, typer.Option(help="Why (kept in the journal).")] = "operator resume",
) -> None:
    """Resume trading after a pause (or a circuit breaker)."""
    from bot.daemon.operator import set_pause

    set_pause(_load(config), paused=False, reason=reason)
    out.print("resumed")


guard_app = typer.Typer(
    help="The liquidation guard: it repays from the reserve whatever the hedger does. "
    "pause/flatten never stop it; these commands do.",
    no_args_is_help=True,
)
app.add_typer(guard_app, name="guard")

PositionOption = Annotated[
    list[str] | None, typer.Option("--position", help="Position name (repeatable; default all).")
]


@guard_app.command("stop")
def guard_stop(
    config: ConfigOption,
    reason: Annotated[str, typer.Option(help="Why (kept in the journal, sent as an alert).")],
    position: PositionOption = None,
) -> None:
    """Stop the guard: no repay will be sent until `hedgebot guard start`."""
    _switch_guard(config, stopped=True, reason=reason, positions=position or [])


@guard_app.command("start")
def guard_start(
    config: ConfigOption,
    reason: Annotated[str, typer.Option(help="Why (kept in the journal).")] = "operator start",
    position: PositionOption = None,
) -> None:
    """Start a stopped guard again."""
    _switch_guard(config, stopped=False, reason=reason, positions=position or [])


def _switch_guard(config: Path, *, stopped: bool, reason: str, positions: list[str]) -> None:
    from bot.daemon.operator import set_guard_stopped

    try:
        names = set_guard_stopped(
            _load(config), stopped=stopped, reason=reason, positions=positions
        )
    except ValueError as exc:
        err.print(f"[bold red]guard:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc
    state = "STOPPED: no repay will be sent" if stopped else "running"
    for name in names:
        out.print(f"guard of {name}: {state} (the daemon obeys at its next tick)", highlight=False)


@app.command("flatten")
def flatten(
    config: ConfigOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Flatten the paper exchange.")] = False,
    live: Annotated[bool, typer.Option("--live", help="Confirm real trading on mainnet.")] = False,
) -> None:
    """Close every hedge position reduce-only, then pause the hedger (the guard keeps
    protecting)."""
    from bot.chain.rpc import ChainError
    from bot.daemon.operator import flatten_all
    from bot.daemon.wiring import LiveTradingRefused
    from bot.exchange.errors import ExchangeError

    try:
        lines = flatten_all(_load(config), dry_run=dry_run, live=live)
    except (LiveTradingRefused, ExchangeError, ChainError, SecretError) as exc:
        err.print(f"[bold red]not flattening:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc
    for line in lines:
        out.print(line, highlight=False)


@app.command("status")
def status(
    config: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    crash_pct: Annotated[
        float | None,
        typer.Option(
            help="Report the reserve needed to survive this crash (percent); default: the "
            "deepest 90-day fall of the collateral in the shipped 2020-2026 data."
        ),
    ] = None,
) -> None:
    """Print each position: assets, prices, HF, liquidation prices, current and target hedge."""
    from bot.chain.rpc import ChainError
    from bot.daemon.status import account_status
    from bot.daemon.status_render import render_status

    cfg = _load(config)
    try:
        reports = account_status(cfg, crash_pct=crash_pct)
    except ChainError as exc:
        err.print(f"[bold red]chain:[/] {scrub(str(exc), _config_urls(cfg))}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc
    if as_json:
        payload = _scrubbed([r.as_json() for r in reports])
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for report in reports:
            render_status(report, out)


@app.command("watch")
def watch(
    config: ConfigOption,
    interval_secs: Annotated[
        float, typer.Option("--interval-secs", help="Seconds between refreshes.")
    ] = 2.0,
    once: Annotated[
        bool, typer.Option("--once", help="Print one frame and exit (for scripts).")
    ] = False,
    metrics_url: Annotated[
        str | None,
        typer.Option(help="The daemon's /metrics (default: from metrics.host and .port)."),
    ] = None,
) -> None:
    """Live view of a running daemon, read-only: positions, hedge, guard and hedger, the
    journal's latest events. Ctrl-C exits."""
    from bot.watch.app import run_watch

    if not interval_secs > 0:
        err.print(f"--interval-secs must be positive, got {interval_secs}")
        raise typer.Exit(EXIT_CONFIG)
    cfg = _load(config)
    try:
        run_watch(
            cfg,
            interval=Decimal(str(interval_secs)),
            once=once,
            metrics_url=metrics_url,
            console=out,
        )
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("simulate")
def simulate(
    config: ConfigOption,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Report folder (PNG plots, summary.md).")
    ] = Path("reports/simulate"),
    paths: Annotated[int | None, typer.Option(help="Monte Carlo paths.")] = None,
    days: Annotated[int | None, typer.Option(help="Horizon in days.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
) -> None:
    """Monte Carlo of the configured loan: which policy protects, and at what cost."""
    from bot.sim.from_config import SimulationConfigError, simulation_params
    from bot.sim.report import run_simulation

    cfg = _load(config)
    try:
        params = simulation_params(
            cfg, base_dir=config.parent, n_paths=paths, horizon_days=days, seed=seed
        )
    except (SimulationConfigError, ValueError) as exc:
        err.print(f"[bold red]simulation:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc
    run_simulation(params, out_dir, out)


@app.command("backtest")
def backtest(
    config: ConfigOption,
    prices: Annotated[
        str,
        typer.Option(
            help="A shipped crash window (2020-03, 2021-05, 2022-06, 2022-11, "
            "2024-08, 2025-10, 2026-02) or a CSV of hourly candles."
        ),
    ] = "2020-03",
    underlying: Annotated[str | None, typer.Option(help="BTC, ETH or BNB.")] = None,
    collateral_usd: Annotated[
        float | None,
        typer.Option(
            help="Collateral value at the start (default: the configured amount at "
            "simulation.prices_usd, else 10000)."
        ),
    ] = None,
    start_hf: Annotated[float, typer.Option(help="Health factor at the start.")] = 1.5,
    out_dir: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path(
        "reports/backtest"
    ),
    rolling: Annotated[
        str | None,
        typer.Option(
            help="A horizon (90d): the configured policy started on every month's 1st of the "
            "shipped 2020-2026 data, next to the crash windows, vs doing nothing."
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="With --rolling: the shipped candidate strategies (repay only at several "
            "reserves, ratio, health_target, ladder) on every underlying the config gives "
            "risk parameters for, in one table.",
        ),
    ] = False,
) -> None:
    """Replay real hourly prices through the daemon's policy and planner, hold vs repay."""
    from decimal import Decimal

    from bot.sim import rolling as rolling_bt
    from bot.sim.from_config import SimulationConfigError, backtest_params
    from bot.sim.report import run_backtest

    cfg = _load(config)
    if compare and rolling is None:
        err.print("[bold red]backtest:[/] --compare needs --rolling (e.g. --rolling 90d)")
        raise typer.Exit(EXIT_CONFIG)
    try:
        if compare and rolling is not None:
            _compare(cfg, rolling, underlying, Decimal(str(start_hf)), out_dir)
            return
        params = backtest_params(
            cfg,
            underlying=underlying,
            collateral_usd=None if collateral_usd is None else Decimal(str(collateral_usd)),
            start_hf=Decimal(str(start_hf)),
        )
        if rolling is not None:
            horizon = rolling_bt.parse_horizon(rolling)
            protected = rolling_bt.protection(params, cfg.hedge.policy, cfg.protect is not None)
            rolling_bt.run_rolling(protected, horizon, out_dir, out)
            return
        source: Path | str = Path(prices) if Path(prices).is_file() else prices
        run_backtest(params, source, out_dir, out)
    except (FileNotFoundError, ValueError, KeyError, SimulationConfigError) as exc:
        err.print(f"[bold red]backtest:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from exc


def _compare(
    cfg: HedgebotConfig, rolling: str, underlying: str | None, start_hf: Decimal, out_dir: Path
) -> None:
    from bot.sim import compare as compare_bt
    from bot.sim import rolling as rolling_bt
    from bot.sim.from_config import SimulationConfigError, backtest_params

    bases = {}
    for u in [underlying] if underlying else ["BTC", "ETH", "BNB"]:
        try:
            bases[u] = backtest_params(cfg, underlying=u, start_hf=start_hf)
        except SimulationConfigError:
            if underlying:
                raise
    if not bases:
        raise ValueError("no underlying has simulation risk parameters in this config")
    compare_bt.run_compare(bases, rolling_bt.parse_horizon(rolling), out_dir, out)


@app.command("backtest-capital")
def backtest_capital(
    symbol: Annotated[str, typer.Option(help="BTCUSDT, ETHUSDT or BNBUSDT.")] = "BTCUSDT",
    out_dir: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path(
        "reports/backtest"
    ),
) -> None:
    """Every shipped window at HF 1.5, 1.3 and 2.0, default protection: the capital loop at
    10 and 60 min withdrawal delays, and disabled (no config needed: the built-in defaults)."""
    from bot.sim.backtest_params import BacktestParams
    from bot.sim.capital_report import capital_rows, write_capital_report

    underlying = symbol.removesuffix("USDT")
    if underlying not in ("BTC", "ETH", "BNB"):
        err.print(f"[bold red]backtest-capital:[/] no shipped data for {symbol}", highlight=False)
        raise typer.Exit(EXIT_CONFIG)
    base = BacktestParams(underlying=underlying, symbol=symbol)
    write_capital_report(capital_rows(base), base, out_dir, out)


@app.command("demo")
def demo(
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="Lending protocol on the local chain: aave (v3) or venus (core pool).",
        ),
    ] = "aave",
    no_protect: Annotated[
        bool, typer.Option("--no-protect", help="Same crash without repay protection.")
    ] = False,
    headless: Annotated[
        bool, typer.Option("--headless", help="No live view: print events as lines.")
    ] = False,
    speed: Annotated[float, typer.Option(help="Scenario seconds per wall second.")] = 1.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Chart, figures and logs.")] = Path(
        "reports/demo"
    ),
) -> None:
    """Local stack (anvil + Aave v3 or Venus, exchange emulator, daemon, liquidator) through a
    crash."""
    from bot.demo import run_demo
    from bot.demo.chains import DEMO_CHAINS
    from bot.demo.daemon_process import DemoError
    from bot.devnet import DevnetError

    if not speed > 0:
        err.print(f"--speed must be positive, got {speed}")
        raise typer.Exit(EXIT_CONFIG)
    if protocol not in DEMO_CHAINS:
        err.print(f"--protocol must be one of {', '.join(sorted(DEMO_CHAINS))}, got {protocol}")
        raise typer.Exit(EXIT_CONFIG)
    try:
        run_demo(
            protocol=protocol,
            protect=not no_protect,
            headless=headless,
            speed=speed,
            out_dir=out_dir,
            console=out,
        )
    except KeyboardInterrupt:
        err.print("interrupted: everything the demo started has been stopped")
        raise typer.Exit(130) from None
    except (DemoError, DevnetError, ConfigError) as exc:
        err.print(f"[bold red]demo failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc


@app.command("devnet")
def devnet(
    protocol: Annotated[
        str, typer.Option("--protocol", help="Lending protocol: aave (v3) or venus (core pool).")
    ] = "aave",
    host: Annotated[str, typer.Option(help="Interface anvil listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="anvil's port.")] = 8545,
    rpc_url: Annotated[
        str | None,
        typer.Option(help="anvil's URL as the daemon and the emulator reach it (default: ours)."),
    ] = None,
    exchange_url: Annotated[
        str, typer.Option(help="The running emulator (`hedgebot emulator`) to set up.")
    ] = "http://127.0.0.1:8700",
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the daemon's config, keys and journal go.")
    ] = Path("var/demo"),
    ready_file: Annotated[
        Path | None, typer.Option(help="Touched once the stack is set up (a health check).")
    ] = None,
) -> None:
    """The demo's stack without its script, for a daemon started elsewhere (docker compose):
    anvil with the cached deployment and the demo's borrower, reserve and exchange wallet
    link; writes the daemon's config and keys to --out. Runs until SIGTERM."""
    from bot.demo.chains import DEMO_CHAINS
    from bot.demo.daemon_process import DemoError
    from bot.demo.stack import StackUrls
    from bot.demo.standing import StandingStack, serve_standing_stack
    from bot.devnet import DevnetError
    from bot.emulator.testing import ControlError

    if protocol not in DEMO_CHAINS:
        err.print(f"--protocol must be one of {', '.join(sorted(DEMO_CHAINS))}, got {protocol}")
        raise typer.Exit(EXIT_CONFIG)
    spec = StandingStack(
        protocol=protocol,
        host=host,
        port=port,
        urls=StackUrls(rpc_url=rpc_url or f"http://127.0.0.1:{port}", exchange_url=exchange_url),
        out_dir=out_dir,
        ready_file=ready_file,
    )
    try:
        serve_standing_stack(spec, console=out)
    except KeyboardInterrupt:
        err.print("stopped: anvil is down")  # SIGTERM is how a container is stopped: exit 0
    except (DemoError, DevnetError, ConfigError, ControlError) as exc:
        err.print(f"[bold red]devnet failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc


def main() -> None:
    app()

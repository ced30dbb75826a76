"""Build the daemon's collaborators from a validated config. The only place that knows how
config sections map onto implementations; everything it builds is injected elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Protocol

import structlog

from bot.alerts import (
    Alert,
    AlertDispatcher,
    AlertSink,
    DeliveryOutcome,
    DiscordSink,
    HfThresholds,
    SlackSink,
    TelegramSink,
    WebhookSink,
)
from bot.alerts import events as alert_events
from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.protocol import LendingProtocol
from bot.chain.rpc import RpcPool
from bot.chain.venus import VenusCoreReader
from bot.config.convert import (
    breaker_limits,
    cadence,
    plan_rules,
    policy_from,
    protect_params,
    token_mapping,
)
from bot.config.models import HedgebotConfig, PositionConfig
from bot.config.secrets import ApiCredentials, SecretError, read_secret
from bot.core.guard import GuardSettings
from bot.core.ha import request_window_ms
from bot.core.hedger import HedgerSettings
from bot.core.model import Venue
from bot.exchange.base import AccountSetup, Exchange, SymbolSetup
from bot.exchange.binance.adapter import BinanceFutures
from bot.exchange.binance.network import is_production
from bot.exchange.binance.schemas.streams import MarginCall
from bot.exchange.binance.streams import (
    AccountStreamState,
    MarkBook,
    StreamClient,
    StreamedExchange,
    stream_origins,
)
from bot.exchange.paper import JournalPaperStateStore, PaperExchange
from bot.exchange.paper_funding import PaperFunding
from bot.exchange.paper_liquidation import PaperLiquidation
from bot.exchange.paper_state import ReadOnlyPaperStore
from bot.ha.build import lease_settings
from bot.journal import Journal, JournalNotCreated

log = structlog.get_logger(__name__)


class LiveTradingRefused(RuntimeError):
    """Mainnet was configured but the explicit opt-ins are missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingMode:
    dry_run: bool
    reason: str  # why: "--dry-run", "no API keys", "live"

    @property
    def label(self) -> str:
        return "DRY-RUN (paper exchange)" if self.dry_run else "LIVE"


def production_endpoint(config: HedgebotConfig) -> str | None:
    """Where orders would go when that is the real exchange (None for testnet, demo, the
    local emulator or any loopback/private address)."""
    base_url = str(config.exchange_base_url) if config.exchange_base_url else None
    if not is_production(config.network.value, base_url):
        return None
    return base_url or "network: mainnet"


def trading_mode(
    config: HedgebotConfig, *, credentials: ApiCredentials | None, dry_run_flag: bool, live: bool
) -> TradingMode:
    """Dry-run is allowed anywhere (paper trading at real prices sends no order). Real money
    needs `allow_mainnet: true` in the config file, `--live` and API keys, all three."""
    if dry_run_flag:
        return TradingMode(dry_run=True, reason="--dry-run")
    where = production_endpoint(config)
    if where is not None:
        if not config.allow_mainnet:
            raise LiveTradingRefused(
                f"{where} is the real Binance exchange: write allow_mainnet: true in the config "
                "file and pass --live to trade real money (or pass --dry-run)"
            )
        if not live:
            raise LiveTradingRefused(
                f"{where} trades real money: pass --live to confirm (or --dry-run)"
            )
        if credentials is None:
            raise LiveTradingRefused(f"{where} with --live needs BINANCE_API_KEY/SECRET")
    if credentials is None:
        return TradingMode(dry_run=True, reason="no BINANCE_API_KEY / BINANCE_API_SECRET set")
    return TradingMode(dry_run=False, reason="API keys set")


def symbol_venues(config: HedgebotConfig) -> dict[str, Venue]:
    return {symbol: Venue(config.hedge.venue) for symbol in config.hedge.symbols.values()}


def live_exchange(
    config: HedgebotConfig, credentials: ApiCredentials | None, *, live: bool
) -> BinanceFutures:
    """The python-binance adapter; with no credentials it can still read public data."""
    return BinanceFutures(
        symbols=symbol_venues(config),
        api_key=credentials.key.reveal() if credentials else "",
        api_secret=credentials.secret.reveal() if credentials else "",
        network=config.network.value,
        base_url=str(config.exchange_base_url).rstrip("/") if config.exchange_base_url else None,
        # Without keys the client reads public prices only (paper trading at real prices).
        allow_mainnet=credentials is None or (config.allow_mainnet and live),
        recv_window_ms=recv_window_ms(config),
    )


def recv_window_ms(config: HedgebotConfig) -> int:
    """``hedge.recv_window_ms``; with ``ha``, no longer than the takeover delay beyond the
    lease (bot.core.ha.request_window_ms: why a replica needs it)."""
    if not config.ha.enabled:
        return config.hedge.recv_window_ms
    return request_window_ms(config.hedge.recv_window_ms, lease_settings(config))


def streamed_exchange(
    config: HedgebotConfig,
    public: BinanceFutures,
    credentials: ApiCredentials | None,
    *,
    on_margin_call: Callable[[MarginCall], None] | None = None,
) -> StreamedExchange:
    """``public`` with marks (and, with keys, the account) from the WebSocket streams; its
    sockets open on ``start()``. ``on_margin_call``: told of each ``MARGIN_CALL``."""
    streams = config.hedge.streams
    client = StreamClient(
        symbols=symbol_venues(config),
        marks=MarkBook(),
        account=AccountStreamState() if credentials is not None else None,
        network=public.network,
        origins=stream_origins(
            public.network,
            str(config.exchange_base_url).rstrip("/") if config.exchange_base_url else None,
        ),
        api_key=credentials.key.reveal() if credentials else "",
        api_secret=credentials.secret.reveal() if credentials else "",
        mark_max_lag_ms=int(streams.mark_max_age_secs * 1000),
    )
    return StreamedExchange(
        public,
        client,
        mark_max_age_secs=streams.mark_max_age_secs,
        account_check_secs=streams.account_check_secs,
        on_margin_call=on_margin_call,
    )


def paper_exchange(
    config: HedgebotConfig,
    journal: Journal,
    public: BinanceFutures,
    *,
    marks: Exchange | None = None,
    read_only: bool = False,
    alerts: AlertDispatcher | None = None,
) -> Exchange:
    """Paper trading at the venue's public mark prices (``marks``: the mark stream when it
    runs) and published funding, its state kept in the journal. ``read_only`` (status): the
    book is looked at, nothing is settled or saved (the running daemon owns the book; a
    second writer would overwrite its fills)."""
    venue = Venue(config.hedge.venue)
    return PaperExchange(
        specs=public.contract_specs(),
        marks=(marks or public).mark_price,
        # Read-only: the book as the daemon saved it, never saved back over its fills.
        store=ReadOnlyPaperStore(journal) if read_only else JournalPaperStateStore(journal),
        name=f"paper-{config.hedge.venue}",
        initial_balances={(venue, a): v for a, v in config.paper.initial_balances.items()},
        taker_fee=config.paper.taker_fee,
        slippage=config.paper.slippage,
        funding_feed=None if read_only else public,
        on_funding=partial(journal_paper_funding, journal),
        on_liquidation=partial(report_paper_liquidation, f"paper-{config.hedge.venue}", alerts),
    )


def report_paper_liquidation(
    account: str, alerts: AlertDispatcher | None, closed: PaperLiquidation
) -> None:
    """The close itself is in the paper book (an ``autoclose-`` order, as Binance names it);
    this says so where the operator looks."""
    loss = closed.fee - closed.realized_pnl
    log.error(
        "paper position liquidated",
        account=account,
        symbol=closed.symbol,
        quantity=str(closed.quantity),
        mark=str(closed.mark),
        realized_pnl=str(closed.realized_pnl),
        clearance_fee=str(closed.fee),
        margin_balance=str(closed.margin_balance),
        maintenance=str(closed.maintenance),
    )
    if alerts is not None:
        alerts.submit(
            alert_events.paper_liquidated(
                account=account,
                symbol=closed.symbol,
                quantity=closed.quantity,
                mark=closed.mark,
                loss=loss,
                asset=closed.asset,
            )
        )


def journal_paper_funding(journal: Journal, paid: PaperFunding) -> None:
    journal.record_funding(
        symbol=paid.symbol,
        asset=paid.asset,
        amount=paid.amount,
        income_at=paid.funding_time_ms,
        transaction_id=paid.transaction_id,
    )
    log.info(
        "paper funding settled",
        symbol=paid.symbol,
        amount=str(paid.amount),
        asset=paid.asset,
        rate=str(paid.rate),
        mark=str(paid.mark),
        funding_time_ms=paid.funding_time_ms,
    )


def account_setup(config: HedgebotConfig) -> AccountSetup:
    hedge = config.hedge
    return AccountSetup(
        symbols=tuple(
            SymbolSetup(symbol=s, leverage=hedge.leverage, margin_type=hedge.margin_type)
            for s in sorted(hedge.symbols.values())
        ),
        multi_assets_margin=hedge.venue == "usdm" and hedge.margin_asset != "USDT",
        # Without it setup checked the USDT wallet whatever margin_asset said: a BNB-only
        # account was refused, and a USDT balance hid an empty BNB wallet.
        usdm_margin_asset=hedge.margin_asset if hedge.venue == "usdm" else "USDT",
    )


class ReaderFactory(Protocol):
    def __call__(
        self, rpc: RpcPool, entry_address: str, chain_id: int, /, *, max_block_age_secs: int
    ) -> LendingProtocol: ...


# positions[].protocol -> its reader (the classes are the factories).
READERS: dict[str, ReaderFactory] = {
    "aave-v3": AaveV3Reader,
    "venus-core": VenusCoreReader,
}


def reader_for(position: PositionConfig) -> LendingProtocol:
    """The position's protocol reader (not started), on its own RPC pool."""
    rpc = RpcPool(
        [str(u) for u in position.rpc_urls],
        position.chain_id,
        timeout_secs=position.rpc_timeout_secs,
    )
    return READERS[position.protocol](
        rpc,
        position.entry_address,
        position.chain_id,
        max_block_age_secs=position.max_block_age_secs,
    )


def hf_thresholds(config: HedgebotConfig) -> HfThresholds:
    thresholds = sorted(config.alerts.hf_thresholds, reverse=True)
    return HfThresholds(
        warning_hf=thresholds[0] if thresholds else Decimal("1.3"),
        critical_hf=thresholds[-1] if len(thresholds) > 1 else Decimal("1.1"),
    )


def account_name(config: HedgebotConfig) -> str:
    """The exchange account's name in the journal, metrics and logs: the position's own when
    there is one (a one-loan journal reads as it always did), else every name joined by +
    (the first name and a count when that would not fit the journal's columns)."""
    names = [p.name for p in config.positions]
    joined = "+".join(names)
    return joined if len(joined) <= 40 else f"{names[0]}+{len(names) - 1}-more"


def hedger_settings(config: HedgebotConfig) -> HedgerSettings:
    return HedgerSettings(
        name=account_name(config),
        positions=tuple(p.name for p in config.positions),
        mapping=token_mapping(config),
        symbol_for_underlying=dict(config.hedge.symbols),
        policy=policy_from(config.hedge.policy),
        rules=plan_rules(config),
        limits=breaker_limits(config),
        cadence=cadence(config),
        use_shadow_hf=config.hedge.use_shadow_hf,
        count_margin_as_exposure=config.hedge.count_margin_as_exposure,
        fee_settle_interval_secs=config.hedge.fee_settle_interval_secs,
        hf_thresholds=hf_thresholds(config),
    )


def guard_settings(config: HedgebotConfig, position: PositionConfig) -> GuardSettings:
    """The guard's settings; ``params`` None when protect is absent or off (watch only)."""
    protect = config.protect
    params = None
    if protect is not None and protect.enabled:
        stables = [t for t, m in config.tokens.items() if m.underlying == "USD"]
        params = protect_params(protect, stables)
    return GuardSettings(
        name=position.name,
        wallet=position.wallet,
        params=params,
        mapping=token_mapping(config),
        hf_thresholds=hf_thresholds(config),
    )


def _env_secret(name: str, what: str) -> str:
    secret = read_secret(name)
    if secret is None:
        raise SecretError(f"{what}: environment variable {name} is not set")
    return secret.reveal()


def alert_sinks(config: HedgebotConfig) -> list[AlertSink]:
    a = config.alerts
    sinks: list[AlertSink] = []
    for n, t in enumerate(a.telegram):
        sinks.append(
            TelegramSink(
                token=_env_secret(t.token_env, f"alerts.telegram.{n}"),
                chat_id=t.chat_id,
                name=f"telegram-{n}",
            )
        )
    kinds: list[tuple[str, Callable[..., AlertSink]]] = [
        ("slack", SlackSink),
        ("discord", DiscordSink),
        ("webhook", WebhookSink),
    ]
    for kind, factory in kinds:
        for n, w in enumerate(getattr(a, kind)):
            sinks.append(
                factory(url=_env_secret(w.url_env, f"alerts.{kind}.{n}"), name=f"{kind}-{n}")
            )
    return sinks


def alert_dispatcher(
    config: HedgebotConfig,
    on_delivery: Callable[..., None] | None = None,
    journal: Journal | None = None,
) -> AlertDispatcher:
    return AlertDispatcher(
        alert_sinks(config),
        dedupe_window_s=config.alerts.dedupe_window_secs,
        on_delivery=on_delivery,
        record=None if journal is None else partial(journal_alert, journal),
    )


def journal_alert(journal: Journal, alert: Alert, sink: str, outcome: DeliveryOutcome) -> None:
    journal.record_alert(
        kind=alert.kind.value,
        severity=alert.severity.value,
        title=alert.title,
        text=alert.text,
        dedupe_key=alert.dedupe_key,
        sinks=(sink,) if sink else (),
        outcome=outcome.value,
    )


def reading_journal(config: HedgebotConfig) -> Journal:
    """The journal opened only to read (status, the dashboard, Telegram's /status): it never
    migrates or writes what the running daemon owns. Before any daemon created it, an empty
    in-memory journal: a new user's first status has no history yet, not an error."""
    try:
        return Journal.open_read_only(config.journal.url)
    except JournalNotCreated:
        return Journal.open("sqlite://")


def journal_for(config: HedgebotConfig) -> Journal:
    url = config.journal.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return Journal.open(url)

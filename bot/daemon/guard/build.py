"""Build one position's guard from the config: its own chain reader, and with ``protect`` on,
the reserve wallet's signer, transaction manager and worker thread.

A ``protect`` section that cannot repay (no key, an unreadable one, a key for another address)
refuses to start: protection that is off must be off on purpose (``protect.enabled: false``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import structlog
from web3 import Web3

from bot.alerts import events as alert_events
from bot.chain.protocol import LendingProtocol
from bot.chain.rpc import RpcPool
from bot.config.models import HedgebotConfig, PositionConfig
from bot.core.repay_params import ProtectParams
from bot.daemon.board import MarketBoard
from bot.daemon.guard.act import RepayDesk
from bot.daemon.guard.loop import GuardLoop, GuardTiming
from bot.daemon.guard.publish import AlertSubmitter, GuardPublisher
from bot.daemon.guard.read import GuardReads, ReserveWallet
from bot.daemon.snapshot_reuse import SnapshotReuse
from bot.daemon.wiring import guard_settings, reader_for
from bot.journal import Journal
from bot.metrics import HealthTracker, HedgebotMetrics
from bot.protect.aave_errors import explain_revert
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import writes_for
from bot.wallet.signer import Signer, SignerError, load_signer
from bot.wallet.txmanager import TxManager
from bot.wallet.worker import TxWorker

log = structlog.get_logger(__name__)

SWITCH_RECHECK_MAX_SECS = 5.0


class ProtectionKeyError(ValueError):
    """``protect`` is configured and on, but it cannot repay: the reserve wallet's key cannot
    be used, or a reserve token is not a reserve of the position's pool."""


def build_guard(
    config: HedgebotConfig,
    index: int,
    *,
    journal: Journal,
    alerts: AlertSubmitter,
    metrics: HedgebotMetrics,
    health: HealthTracker,
    board: MarketBoard,
    dry_run: bool,
) -> GuardLoop:
    position = config.positions[index]
    settings = guard_settings(config, position)
    reader = start_reader(position)
    desk, reserve = None, None
    if settings.params is not None:
        _check_reserve_tokens(settings.params.reserve_tokens, position, reader)
        owner = settings.params.reserve_wallet or position.wallet
        desk = repay_desk(settings.params, position, reader, journal, owner, dry_run=dry_run)
        reserve = ReserveWallet(reader, owner=owner, tokens=settings.params.reserve_tokens)
    else:
        _say_protection_off(config, position.name, alerts)
    timing = guard_timing(config)
    name = f"{position.name}:guard"
    # /healthz turns red only after a stall: a missed read or two is the RPC's weather.
    health.register(name, interval_s=timing.stall_secs / 3, critical=True)
    publisher = GuardPublisher(
        position=position.name,
        alerts=alerts,
        metrics=metrics,
        health=health,
        health_key=name,
        reserve_target_usd=config.protect.reserve_target_usd if config.protect else None,
        capital_loop=config.capital is not None,
    )
    reads = GuardReads(
        position=position.name,
        wallet=position.wallet,
        reader=reader,
        journal=journal,
        board=board,
        reserve=reserve,
        marks_max_age_secs=max(5.0, 3 * config.schedule.interval_secs),
        reuse=SnapshotReuse(
            chain_id=position.chain_id, max_block_age_secs=position.max_block_age_secs
        ),
    )
    return GuardLoop(settings, reads=reads, desk=desk, publisher=publisher, timing=timing)


def _check_reserve_tokens(
    tokens: Sequence[str], position: PositionConfig, reader: LendingProtocol
) -> None:
    """A reserve token the pool does not list could never repay: found at start, not when the
    HF is already under the trigger."""
    listed = sorted(r.symbol for r in reader.info.reserves)
    missing = [t for t in tokens if t not in listed]
    if missing:
        raise ProtectionKeyError(
            f"protect.reserve_tokens: {', '.join(missing)} "
            f"{'is not a reserve' if len(missing) == 1 else 'are not reserves'} of the pool of "
            f"position {position.name!r} (it lists {', '.join(listed)})"
        )


def guard_timing(config: HedgebotConfig) -> GuardTiming:
    protect = config.protect
    poll = protect.poll_interval_secs if protect else 1.0
    polls = protect.stall_alert_polls if protect else 20
    # An operator's stop is acknowledged within the hedger's fast cycle (see GuardLoop._quiet)
    recheck = min(config.schedule.fast_interval_secs, SWITCH_RECHECK_MAX_SECS)
    return GuardTiming(
        interval_secs=poll, stall_blocks=polls, block_time_secs=poll, switch_recheck_secs=recheck
    )


def start_reader(position: PositionConfig) -> LendingProtocol:
    reader = reader_for(position)
    info = reader.start()
    log.info(
        "lending market",
        position=position.name,
        protocol=info.protocol,
        chain_id=info.chain_id,
        pool_revision=info.pool_revision,
        base_unit=info.base_currency_unit,
        reserves=len(info.reserves),
    )
    return reader


def repay_desk(
    params: ProtectParams,
    position: PositionConfig,
    reader: LendingProtocol,
    journal: Journal,
    owner: str,
    *,
    dry_run: bool,
) -> RepayDesk:
    try:
        signer = load_signer(expected_address=owner)
    except SignerError as exc:
        raise ProtectionKeyError(
            f"protect is on for position {position.name!r} but the reserve wallet's key cannot "
            f"be used: {exc}. Provide the key, or write `protect.enabled: false` in the config "
            f"to run without repay protection"
        ) from exc
    w3, txm = reserve_tx_manager(params, position, journal, signer)
    listed = {r.symbol: r.asset for r in reader.info.reserves}
    standing = {
        listed[s]: Decimal(params.max_per_day_usd) for s in params.reserve_tokens if s in listed
    }
    executor = ProtectExecutor(
        w3,
        txm,
        writes=writes_for(reader.protocol, w3, reader.info),
        standing_allowance=standing,
    )
    return RepayDesk(executor, TxWorker(position.name), dry_run=dry_run)


def reserve_tx_manager(
    params: ProtectParams, position: PositionConfig, journal: Journal, signer: Signer
) -> tuple[Web3, TxManager]:
    """The reserve wallet's transaction manager on its own pool of the position's endpoints:
    a loop's wallet work fails over like the reader, without sharing the reader's connections
    across threads. Every manager of one sender shares its nonce lock."""
    w3 = RpcPool(
        [str(u) for u in position.rpc_urls],
        position.chain_id,
        timeout_secs=position.rpc_timeout_secs,
    ).web3()
    txm = TxManager(
        w3,
        signer,
        journal,
        params.fee_policy(),
        chain_id=position.chain_id,
        explain_revert=explain_revert,
    )
    return w3, txm


def _say_protection_off(config: HedgebotConfig, position: str, alerts: AlertSubmitter) -> None:
    reason = (
        "protect.enabled: false in the config"
        if config.protect is not None
        else "the config has no protect section"
    )
    log.warning(
        "repay protection OFF: the guard watches the HF and alerts, and repays nothing",
        position=position,
        why=reason,
    )
    alerts.submit(alert_events.protection_off(position=position, reason=reason))


__all__ = ["ProtectionKeyError", "build_guard", "guard_timing", "reserve_tx_manager"]

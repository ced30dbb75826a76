"""Build the exchange account's capital loop from the config.

Money moves only through a venue with a wallet API: Binance itself, or the local emulator.
On the testnet and in a dry run the treasury is ``NoWalletTreasury``: the loop decides as it
would live and alerts the amounts, saying why nothing moved.
"""

from __future__ import annotations

import time

from bot.config.convert import capital_rules, protect_params
from bot.config.models import CapitalConfig, HedgebotConfig, PositionConfig, ProtectConfig
from bot.config.secrets import binance_credentials
from bot.core.model import Venue
from bot.daemon.board import MarketBoard
from bot.daemon.capital.desk import MoveDesk
from bot.daemon.capital.loop import CapitalLoop, Destinations
from bot.daemon.capital.publish import CapitalPublisher
from bot.daemon.capital.read import CapitalReads, CapitalTargets
from bot.daemon.capital.sender import ReserveTokenSender
from bot.daemon.guard.build import reserve_tx_manager, start_reader
from bot.daemon.guard.publish import AlertSubmitter
from bot.daemon.guard.read import ReserveWallet
from bot.daemon.wiring import account_name, live_exchange
from bot.exchange.binance.treasury import BinanceTreasury
from bot.exchange.treasury import NoWalletTreasury, Treasury
from bot.journal import Journal
from bot.journal.columns import to_ms
from bot.metrics import HealthTracker, HedgebotMetrics
from bot.wallet.signer import load_signer

NO_WALLET_API = {
    "testnet": "Binance's futures testnet has no wallet API: move it by hand",
    "demo": "Binance's demo trading has no wallet API: move it by hand",
}


def build_capital(
    config: HedgebotConfig,
    *,
    journal: Journal,
    alerts: AlertSubmitter,
    metrics: HedgebotMetrics,
    health: HealthTracker,
    board: MarketBoard,
    dry_run: bool,
    live: bool,
) -> CapitalLoop:
    capital, protect = config.capital, config.protect
    if capital is None or protect is None:
        raise ValueError("the capital loop needs the capital and protect sections")
    position = config.positions[0]
    account = account_name(config)
    reader = start_reader(position)
    owner = protect.reserve_wallet or position.wallet
    reserve = ReserveWallet(reader, owner=owner, tokens=protect.reserve_tokens)
    treasury = _treasury(config, dry_run=dry_run, live=live)
    name = f"{account}:capital"
    health.register(name, interval_s=capital.interval_secs, critical=False)
    reads = CapitalReads(
        targets=_targets(config, capital, account),
        reserve=reserve,
        board=board,
        treasury=treasury,
        journal=journal,
        max_age_secs=max(30.0, 3 * config.schedule.interval_secs),
        ms=to_ms,
    )
    sender = None
    if treasury.can_move and capital.enabled:  # disabled: alerts only, no key needed
        sender = _sender(capital, protect, position, reserve, journal, owner, account)
    desk = MoveDesk(
        treasury, journal, venue=Venue.USDM, sender=sender, ms=to_ms,
        lost_answer_grace_secs=capital.lost_answer_grace_secs,
    )  # fmt: skip
    publisher = CapitalPublisher(
        account=account, alerts=alerts, metrics=metrics, health=health, health_key=name
    )
    return CapitalLoop(
        rules=capital_rules(capital, restore_distance=config.hedge.min_short_liq_distance),
        reads=reads,
        desk=desk,
        publisher=publisher,
        destinations=Destinations(reserve_wallet=owner, deposit_address=capital.deposit_address),
        interval_secs=capital.interval_secs,
        ms=to_ms,
        board=board,
    )


def _targets(config: HedgebotConfig, capital: CapitalConfig, account: str) -> CapitalTargets:
    return CapitalTargets(
        account=account,
        coin=capital.coin,
        network=capital.network,
        reserve_target_usd=capital.reserve_target_usd,
        reserve_floor_usd=capital.reserve_floor_usd,
        restore_distance=config.hedge.min_short_liq_distance,
    )


def _treasury(config: HedgebotConfig, *, dry_run: bool, live: bool) -> Treasury:
    if dry_run:
        return NoWalletTreasury("dry run: the paper exchange holds no money to move")
    why = NO_WALLET_API.get(config.network.value)
    if why is not None:
        return NoWalletTreasury(why)
    # Its own client: the capital loop runs beside the hedger, never on its connection.
    exchange = live_exchange(config, binance_credentials(), live=live)
    return BinanceTreasury(exchange.transport, monotonic=time.monotonic)


def _sender(
    capital: CapitalConfig,
    protect: ProtectConfig,
    position: PositionConfig,
    reserve: ReserveWallet,
    journal: Journal,
    owner: str,
    account: str,
) -> ReserveTokenSender:
    """The deposit's chain leg, signed by the reserve wallet's key (the guard's, so its
    transactions share one nonce lock with the repays)."""
    signer = load_signer(expected_address=owner)
    params = protect_params(protect, [capital.coin])
    _, txm = reserve_tx_manager(params, position, journal, signer)
    held = {b.symbol: b for b in reserve.balances()}
    token = held[capital.coin]
    return ReserveTokenSender(txm, token=token.address, decimals=token.decimals, position=account)


__all__ = ["build_capital"]

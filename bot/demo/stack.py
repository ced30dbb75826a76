"""Setting up the demo's stack: the borrower's position, the reserve, the daemon's overrides,
and the journal file around a run."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from web3 import Web3

from bot.config import HedgebotConfig
from bot.devnet import Devnet
from bot.devnet.aave import contract, transact
from bot.emulator.testing import EmulatorHandle

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
# anvil's well-known development keys (public; they only ever hold devnet funds).
BORROWER_INDEX = 2
BORROWER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
LIQUIDATOR_INDEX = 3
SPENDER_INDEX = 9  # where the borrowed USDC goes: a borrower spends what they borrow


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSettings:
    collateral: dict[str, Decimal] = field(
        default_factory=lambda: {"WBTC": Decimal(1), "WETH": Decimal(10)}
    )
    debt_symbol: str = "USDC"
    start_hf: Decimal = Decimal("1.5")
    reserve: Decimal = Decimal(25_000)  # USDC in the wallet for repays
    margin_bnb: Decimal = Decimal(50)  # on USD-M, Multi-Assets Mode (the daemon switches it on)
    liquidator_funds: Decimal = Decimal(10_000_000)


def remove_journal(path: Path) -> None:
    # A journal from an earlier run describes hedges this fresh emulator never saw: the
    # daemon would (rightly) refuse to start on it.
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def checkpoint(journal: Path) -> None:
    """Fold the daemon's write-ahead log into the journal file, so the run's journal is one
    file (a read-only follower kept SQLite from doing it when the daemon closed)."""
    if journal.exists():
        with contextlib.closing(sqlite3.connect(journal)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def token_balance(dn: Devnet, symbol: str, wallet: str) -> Decimal:
    token = dn.deployment.token(symbol)
    raw = (
        contract(dn.w3, "MintableERC20", token.underlying)
        .functions.balanceOf(Web3.to_checksum_address(wallet))
        .call()
    )
    return Decimal(int(raw)).scaleb(-token.decimals)


def open_borrower(dn: Devnet, settings: DemoSettings, borrower: str) -> Decimal:
    """Supply the collateral, borrow USDC down to ``start_hf``, and spend what was borrowed.
    Returns the debt taken."""
    for symbol, amount in settings.collateral.items():
        dn.supply(borrower, symbol, amount)
    data = dn.account_data(borrower)
    total_collateral_base, lt_bps = data[0], data[3]
    weighted_usd = Decimal(total_collateral_base) / 10**8 * Decimal(lt_bps) / 10_000
    debt = (weighted_usd / settings.start_hf / 100).to_integral_value(ROUND_DOWN) * 100
    dn.borrow(borrower, settings.debt_symbol, debt)
    usdc = contract(dn.w3, "MintableERC20", dn.deployment.token(settings.debt_symbol).underlying)
    raw = int(usdc.functions.balanceOf(Web3.to_checksum_address(borrower)).call())
    spender = Web3.to_checksum_address(dn.account(SPENDER_INDEX))
    transact(dn.w3, usdc.functions.transfer(spender, raw), borrower, what="spend the loan")
    return debt


def cadence_overrides(config: HedgebotConfig, speed: float) -> dict[str, str]:
    """The demo compresses time by ``speed``; so is the daemon's cadence (down to the
    config's 0.2 s floor for the fast interval)."""
    if speed <= 1:
        return {}
    s = config.schedule
    interval = max(0.4, s.interval_secs / speed)
    fast = min(interval, max(0.2, s.fast_interval_secs / speed))
    return {
        "HEDGEBOT__SCHEDULE__INTERVAL_SECS": f"{interval:.3f}",
        "HEDGEBOT__SCHEDULE__FAST_INTERVAL_SECS": f"{fast:.3f}",
    }


def stack_overrides(dn: Devnet, em: EmulatorHandle, borrower: str, journal: Path) -> dict[str, str]:
    return {
        "HEDGEBOT__EXCHANGE_BASE_URL": em.base_url,
        "HEDGEBOT__POSITIONS__0__RPC_URLS": f"[{dn.rpc_url}]",
        "HEDGEBOT__POSITIONS__0__CHAIN_ID": str(dn.chain_id),
        "HEDGEBOT__POSITIONS__0__ADDRESSES_PROVIDER": dn.deployment.addresses_provider,
        "HEDGEBOT__POSITIONS__0__WALLET": borrower,
        "HEDGEBOT__JOURNAL__URL": f"sqlite:///{journal.resolve()}",
        "HEDGEBOT__METRICS__PORT": "0",
    }


__all__ = [
    "BORROWER_INDEX",
    "BORROWER_KEY",
    "DEMO_CONFIG",
    "LIQUIDATOR_INDEX",
    "DemoSettings",
    "cadence_overrides",
    "checkpoint",
    "open_borrower",
    "remove_journal",
    "stack_overrides",
    "token_balance",
]

"""Setting up the demo's stack: the borrower's position, the reserve, the emulator's wallet
linked to anvil (withdrawals and deposits are real USDT transfers), the daemon's overrides, and
the journal file around a run."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from bot.chain.abis import load_abi
from bot.config import HedgebotConfig
from bot.demo.daemon_process import DemoError
from bot.demo.protocols import DemoChain
from bot.devnet.aave import transact
from bot.emulator.testing import EmulatorEndpoint, python_binance_client

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
# anvil's well-known development keys (public; they only ever hold devnet funds).
BORROWER_INDEX = 2
BORROWER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
LIQUIDATOR_INDEX = 3
HOT_WALLET_INDEX = 7  # the exchange's hot wallet: it pays the withdrawals on anvil
HOT_WALLET_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
SPENDER_INDEX = 9  # where the borrowed USDT goes: a borrower spends what they borrow
NETWORK = "BSC"  # the emulator's name for the chain its wallet settles on (anvil here)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSettings:
    """What is the same on every protocol; the collateral is the chain's (``DemoChain``)."""

    # USDT: the hedge's profit accrues in USDT on USD-M, and a repay pays the borrowed asset,
    # so what the capital loop withdraws is what the guard repays with.
    debt_symbol: str = "USDT"
    start_hf: Decimal = Decimal("1.5")
    reserve: Decimal = Decimal(9_000)  # USDT in the wallet: 10 % of the 90,000 $ of collateral
    margin_bnb: Decimal = Decimal(50)  # on USD-M, Multi-Assets Mode (the daemon switches it on)
    # beside the 10,000 USDT the emulator's account starts with
    liquidator_funds: Decimal = Decimal(10_000_000)
    hot_wallet_funds: Decimal = Decimal(1_000_000)  # USDT the exchange pays withdrawals from
    withdraw_fee: Decimal = Decimal("0.8")  # USDT per withdrawal, as Binance charges
    withdraw_delay_secs: float = 3.0  # scenario seconds from request to chain transfer
    block_interval_secs: int = 1  # anvil mines this often too: deposits need confirmations


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


def _erc20(chain: DemoChain, symbol: str) -> Contract:
    address, _ = chain.token(symbol)
    return chain.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_abi("ERC20"))


def token_balance(chain: DemoChain, symbol: str, wallet: str) -> Decimal:
    raw = _erc20(chain, symbol).functions.balanceOf(Web3.to_checksum_address(wallet)).call()
    return Decimal(int(raw)).scaleb(-chain.token(symbol)[1])


def open_borrower(chain: DemoChain, settings: DemoSettings, borrower: str) -> Decimal:
    """Supply the chain's collateral, borrow the debt token down to ``start_hf``, and spend
    what was borrowed. Returns the debt taken."""
    chain.supply_collateral(borrower)
    weighted_usd = chain.weighted_collateral_usd(borrower)
    debt = (weighted_usd / settings.start_hf / 100).to_integral_value(ROUND_DOWN) * 100
    chain.borrow(borrower, settings.debt_symbol, debt)
    token = _erc20(chain, settings.debt_symbol)
    raw = int(token.functions.balanceOf(Web3.to_checksum_address(borrower)).call())
    spender = Web3.to_checksum_address(chain.account(SPENDER_INDEX))
    transact(chain.w3, token.functions.transfer(spender, raw), borrower, what="spend the loan")
    return debt


def link_exchange_wallet(
    chain: DemoChain,
    em: EmulatorEndpoint,
    settings: DemoSettings,
    reserve_wallet: str,
    *,
    speed: float,
    rpc_url: str,
) -> str:
    """Settle the emulator's wallet on anvil: withdrawals are transfers of the debt token from
    a funded hot wallet (only to the whitelisted reserve wallet, after a delay compressed with
    the demo's time), deposits to the account's address are credited after confirmations.
    ``rpc_url`` is anvil's as the emulator reaches it. Returns that deposit address (the
    daemon deposits only to the one its config names)."""
    symbol = settings.debt_symbol
    address, decimals = chain.token(symbol)
    chain.fund(chain.account(HOT_WALLET_INDEX), symbol, settings.hot_wallet_funds)
    em.control.link_chain(
        rpc_url=rpc_url,
        hot_wallet_key=HOT_WALLET_KEY,
        coins=[
            {
                "coin": symbol,
                "network": NETWORK,
                "contract_address": address,
                "decimals": decimals,
                "withdraw_fee": str(settings.withdraw_fee),
                "withdraw_min": "10",
                "withdraw_max": "100000",
                "withdraw_multiple": "0.01",
                "min_confirm": 3,
            }
        ],
        withdraw_delay_secs=round(max(0.2, settings.withdraw_delay_secs / speed), 3),
        whitelist=[reserve_wallet],
        poll_interval_secs=0.2,
    )
    answer = python_binance_client(em).get_deposit_address(coin=symbol, network=NETWORK)
    return str(answer["address"])


@contextlib.contextmanager
def interval_mining(w3: Web3, secs: int) -> Iterator[None]:
    """A block every ``secs``: the exchange credits a deposit only after its confirmations,
    and a quiet chain would never give them. anvil then no longer mines on each transaction:
    a transaction waits for the next block (the price setters mine theirs at once)."""
    w3.provider.make_request("evm_setIntervalMining", [secs])  # type: ignore[arg-type]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # anvil may already be gone (Ctrl-C)
            w3.provider.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]


def cadence_overrides(config: HedgebotConfig, speed: float) -> dict[str, str]:
    """The demo compresses time by ``speed``; so is the daemon's cadence (down to the
    config's 0.2 s floor for the fast interval)."""
    if speed <= 1:
        return {}
    s = config.schedule
    interval = max(0.4, s.interval_secs / speed)
    fast = min(interval, max(0.2, s.fast_interval_secs / speed))
    overrides = {
        "HEDGEBOT__SCHEDULE__INTERVAL_SECS": f"{interval:.3f}",
        "HEDGEBOT__SCHEDULE__FAST_INTERVAL_SECS": f"{fast:.3f}",
    }
    if config.capital is not None:
        capital = max(1.0, config.capital.interval_secs / speed)  # the config's floor
        overrides["HEDGEBOT__CAPITAL__INTERVAL_SECS"] = f"{capital:.3f}"
    return overrides


def capital_overrides(settings: DemoSettings, deposit_address: str) -> dict[str, str]:
    """The capital loop refills the reserve up to what the demo starts it with, and deposits
    only to the address the emulator reports for this account."""
    return {
        "HEDGEBOT__CAPITAL__COIN": settings.debt_symbol,
        "HEDGEBOT__CAPITAL__NETWORK": NETWORK,
        "HEDGEBOT__CAPITAL__RESERVE_TARGET_USD": str(settings.reserve),
        "HEDGEBOT__CAPITAL__DEPOSIT_ADDRESS": deposit_address,
    }


def stack_overrides(
    chain: DemoChain, *, borrower: str, journal: Path, rpc_url: str, exchange_url: str
) -> dict[str, str]:
    """Point ``config/demo.yaml`` at this stack, by the URLs the daemon reaches it at."""
    return {
        **chain.position_overrides(),
        "HEDGEBOT__EXCHANGE_BASE_URL": exchange_url,
        "HEDGEBOT__POSITIONS__0__RPC_URLS": f"[{rpc_url}]",
        "HEDGEBOT__POSITIONS__0__CHAIN_ID": str(chain.chain_id),
        "HEDGEBOT__POSITIONS__0__WALLET": borrower,
        "HEDGEBOT__JOURNAL__URL": f"sqlite:///{journal.resolve()}",
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedStack:
    borrower: str
    debt: Decimal  # what the borrower took
    deposit_address: str  # the exchange account's, on anvil
    overrides: dict[str, str]  # HEDGEBOT__ settings over config/demo.yaml
    secrets: dict[str, str]  # the daemon's keys: the emulator's API pair, the wallet's if protected


@dataclass(frozen=True, slots=True, kw_only=True)
class StackUrls:
    """How the daemon and the emulator reach anvil, and how everyone reaches the emulator
    (loopback for ``hedgebot demo``; service names in docker/compose.yaml)."""

    rpc_url: str
    exchange_url: str


def prepare_stack(
    stack: ExitStack,
    chain: DemoChain,
    em: EmulatorEndpoint,
    *,
    settings: DemoSettings,
    start_marks: Mapping[str, tuple[str, Decimal]],
    protect: bool,
    speed: float,
    journal: Path,
    urls: StackUrls,
) -> PreparedStack:
    """Everything between a fresh chain + emulator and the daemon's start: the borrower's
    position (HF ``start_hf``), the reserve, the exchange's wallet settling on anvil, the
    margin, the start prices (``start_marks``: underlying -> exchange symbol, USD), and the
    daemon's overrides and keys. Blocks are mined every ``block_interval_secs`` until
    ``stack`` closes."""
    borrower = chain.account(BORROWER_INDEX)
    for index, key in ((BORROWER_INDEX, BORROWER_KEY), (HOT_WALLET_INDEX, HOT_WALLET_KEY)):
        if Account.from_key(key).address != chain.account(index):
            raise DemoError(f"anvil account {index} is {chain.account(index)}, not the demo key's")
    stack.enter_context(interval_mining(chain.w3, settings.block_interval_secs))
    deposit_address = link_exchange_wallet(
        chain, em, settings, borrower, speed=speed, rpc_url=urls.rpc_url
    )
    for underlying, (symbol, usd) in start_marks.items():
        token = chain.oracle_tokens[underlying]
        if chain.price(token) != usd:
            chain.set_price(token, usd)
        em.control.set_mark(symbol, usd)
    debt = open_borrower(chain, settings, borrower)
    chain.fund(borrower, settings.debt_symbol, settings.reserve)
    em.control.fund("BNB", settings.margin_bnb, venue="usdm")
    overrides = stack_overrides(
        chain,
        borrower=borrower,
        journal=journal,
        rpc_url=urls.rpc_url,
        exchange_url=urls.exchange_url,
    )
    secrets = {"BINANCE_API_KEY": em.api_key, "BINANCE_API_SECRET": em.api_secret}
    if protect:
        secrets["HEDGEBOT_WALLET_KEY"] = BORROWER_KEY
        overrides.update(capital_overrides(settings, deposit_address))
    else:
        overrides["HEDGEBOT__PROTECT__ENABLED"] = "false"
        # No capital section: nothing moves (an enabled one needs protect on).
        overrides["HEDGEBOT__CAPITAL"] = "null"
    return PreparedStack(
        borrower=borrower,
        debt=debt,
        deposit_address=deposit_address,
        overrides=overrides,
        secrets=secrets,
    )


__all__ = [
    "BORROWER_INDEX",
    "BORROWER_KEY",
    "DEMO_CONFIG",
    "HOT_WALLET_INDEX",
    "HOT_WALLET_KEY",
    "LIQUIDATOR_INDEX",
    "NETWORK",
    "DemoSettings",
    "PreparedStack",
    "StackUrls",
    "cadence_overrides",
    "capital_overrides",
    "checkpoint",
    "interval_mining",
    "link_exchange_wallet",
    "open_borrower",
    "prepare_stack",
    "remove_journal",
    "stack_overrides",
    "token_balance",
]

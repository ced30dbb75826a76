"""The spot wallet and its money movements, on emulator state: universal transfers, withdrawals
and their lifecycle, deposits. Pure state changes; the chain side lives in ``settlement``.

Ids are deterministic (a counter, or a hash of it): reruns of a test see the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from bot.emulator import errors, fills, withdrawable
from bot.emulator.accounting import venue_view
from bot.emulator.coins import EVM_ADDRESS, CoinNetwork, WalletConfig
from bot.emulator.decimals import ZERO, plain
from bot.emulator.markets import COINM_ASSETS, USDM_ASSETS, Venue
from bot.emulator.state import Account, EmulatorState
from bot.emulator.wallet_state import (
    AWAITING_APPROVAL,
    COMPLETED,
    DEPOSIT_CREDITED_LOCKED,
    DEPOSIT_SUCCESS,
    PROCESSING,
    REJECTED,
    Deposit,
    Transfer,
    Withdrawal,
)

SPOT_PRECISION = Decimal("0.00000001")  # Binance keeps spot balances to 8 decimals
# type -> (from, to); "spot" is the MAIN wallet.
TRANSFER_TYPES: dict[str, tuple[str, str]] = {
    "MAIN_UMFUTURE": ("spot", "usdm"),
    "UMFUTURE_MAIN": ("usdm", "spot"),
    "MAIN_CMFUTURE": ("spot", "coinm"),
    "CMFUTURE_MAIN": ("coinm", "spot"),
}
FUTURES_ASSETS: dict[str, tuple[str, ...]] = {"usdm": USDM_ASSETS, "coinm": COINM_ASSETS}


def deposit_address(api_key: str) -> str:
    """The account's EVM deposit address (one for every coin and network, like Binance's)."""
    digest = hashlib.sha256(f"hedgebot-emulator-deposit:{api_key}".encode()).digest()
    return "0x" + digest[-20:].hex()


def account_uid(api_key: str) -> int:
    return 100_000_000 + int(hashlib.sha256(api_key.encode()).hexdigest()[:8], 16) % 900_000_000


def withdrawal_id(seq: int) -> str:
    return hashlib.sha256(f"hedgebot-emulator-withdrawal:{seq}".encode()).hexdigest()[:32]


def credit_spot(account: Account, asset: str, amount: Decimal, now: int) -> None:
    account.spot[asset] = account.spot.get(asset, ZERO) + amount
    account.spot_update_time = now


# --- universal transfer ----------------------------------------------------------------------
def futures_cap(state: EmulatorState, account: Account, venue: Venue, asset: str) -> Decimal:
    """What may leave ``venue`` in ``asset``: the maxWithdrawAmount the account endpoints show."""
    view = venue_view(account, venue, state.markets)
    if venue == "usdm":
        return withdrawable.usdm_asset_caps(account, view, state.markets)[asset]
    pool = view.pools.get(asset)
    if pool is None:
        return max(ZERO, account.coinm.wallets.get(asset, ZERO))
    return withdrawable.coinm_asset_cap(account, view, asset, pool)


def universal_transfer(
    state: EmulatorState, account: Account, kind: str, asset: str, amount: Decimal, now: int
) -> Transfer:
    """Move ``amount`` between spot and a futures wallet (``-5002`` when it cannot leave)."""
    route = TRANSFER_TYPES.get(kind)
    if route is None:
        raise errors.invalid_value("type")
    source, target = route
    venue: Venue = "usdm" if "usdm" in route else "coinm"
    if asset not in FUTURES_ASSETS[venue]:
        raise errors.invalid_value("asset")
    if amount <= 0 or amount != amount.quantize(SPOT_PRECISION):
        raise errors.invalid_value("amount")
    available = (
        account.spot.get(asset, ZERO)
        if source == "spot"
        else futures_cap(state, account, venue, asset)
    )
    if amount > available:
        raise errors.ASSET_NOT_ENOUGH
    sign = Decimal(1) if target == venue else Decimal(-1)
    venue_account = account.venue(venue)
    fills.credit(venue_account, asset, sign * amount)
    venue_account.update_time = now
    fills.add_income(
        state,
        venue_account,
        symbol="",
        income_type="TRANSFER",
        amount=sign * amount,
        asset=asset,
        now=now,
        info="TRANSFER",
    )
    credit_spot(account, asset, -sign * amount, now)
    transfer = Transfer(
        tran_id=fills.next_id(state), asset=asset, amount=amount, type=kind, timestamp=now
    )
    account.transfers.append(transfer)
    return transfer


# --- withdrawals -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WithdrawRequest:
    coin: str
    network: str | None
    address: str
    amount: Decimal
    withdraw_order_id: str | None = None
    address_tag: str = ""
    wallet_type: int = 0


def _network(config: WalletConfig, coin: str, network: str | None) -> CoinNetwork:
    networks = config.networks_of(coin)
    if not networks:
        raise errors.WITHDRAW_ASSET_NOT_EXIST
    if network is None:
        return next((n for n in networks if n.is_default), networks[0])
    chosen = next((n for n in networks if n.network == network), None)
    if chosen is None:
        raise errors.WITHDRAW_ASSET_PROHIBIT
    return chosen


def check_withdrawal(config: WalletConfig, account: Account, req: WithdrawRequest) -> CoinNetwork:
    """Binance's checks, in the order a request meets them; raises the matching ``ApiError``."""
    net = _network(config, req.coin, req.network)
    if not net.withdraw_enable:
        raise errors.WITHDRAW_ASSET_PROHIBIT
    if req.address_tag:
        raise errors.TAG_NOT_SUPPORTED
    if not EVM_ADDRESS.fullmatch(req.address):
        raise errors.WITHDRAW_ILLEGAL_ADDRESS
    if config.whitelist is not None and req.address.lower() not in config.whitelist:
        raise errors.WITHDRAW_NOT_WHITE_ADDRESS
    if req.amount % net.multiple != 0:
        raise errors.withdraw_multiple(net.coin, plain(net.multiple))
    if req.amount < net.withdraw_min:
        raise errors.withdraw_min(plain(net.withdraw_min))
    if req.amount <= net.withdraw_fee:
        raise errors.WITHDRAW_MORE_THAN_FEE
    if req.amount > net.withdraw_max:
        raise errors.WITHDRAW_MAX_AMOUNT
    if req.wallet_type not in (0, 1):
        raise errors.invalid_value("walletType")
    # The emulator has no funding wallet: walletType 1 draws on an empty one.
    balance = account.spot.get(req.coin, ZERO) if req.wallet_type == 0 else ZERO
    if req.amount > balance:
        raise errors.WITHDRAW_NOT_ENOUGH
    return net


def apply_withdrawal(
    state: EmulatorState,
    config: WalletConfig,
    account: Account,
    req: WithdrawRequest,
    now: int,
) -> Withdrawal:
    """Check, debit the spot wallet and record the withdrawal in the state the policy says:
    processing (sent after the configured delay), awaiting approval, or rejected (refunded)."""
    net = check_withdrawal(config, account, req)
    credit_spot(account, req.coin, -req.amount, now)
    withdrawal = Withdrawal(
        id=withdrawal_id(fills.next_id(state)),
        withdraw_order_id=req.withdraw_order_id,
        coin=net.coin,
        network=net.network,
        address=req.address,
        amount=req.amount,
        fee=net.withdraw_fee,
        status=PROCESSING,
        apply_time=now,
        wallet_type=req.wallet_type,
    )
    account.withdrawals.append(withdrawal)
    if config.policy == "hold":
        hold(withdrawal)
    elif config.policy == "reject":
        reject(account, withdrawal, config.policy_info or "Rejected by the emulator", now)
    else:
        release(withdrawal, now, config.withdraw_delay_secs)
    return withdrawal


def hold(withdrawal: Withdrawal) -> None:
    if withdrawal.status not in (PROCESSING, AWAITING_APPROVAL) or withdrawal.broadcast:
        raise ValueError(f"withdrawal {withdrawal.id} cannot be held: {_state_of(withdrawal)}")
    withdrawal.status = AWAITING_APPROVAL
    withdrawal.due_ms = 0


def release(withdrawal: Withdrawal, now: int, delay_secs: Decimal) -> None:
    """Processing from now: the chain link sends it ``delay_secs`` later (market clock)."""
    if withdrawal.status not in (PROCESSING, AWAITING_APPROVAL) or withdrawal.broadcast:
        raise ValueError(f"withdrawal {withdrawal.id} cannot be released: {_state_of(withdrawal)}")
    withdrawal.status = PROCESSING
    withdrawal.due_ms = now + int(delay_secs * 1000)


def reject(account: Account, withdrawal: Withdrawal, info: str, now: int) -> None:
    """Rejected before it reached the chain: the spot wallet gets the whole amount back."""
    if withdrawal.status not in (PROCESSING, AWAITING_APPROVAL) or withdrawal.broadcast:
        raise ValueError(f"withdrawal {withdrawal.id} cannot be rejected: {_state_of(withdrawal)}")
    withdrawal.status = REJECTED
    withdrawal.info = info
    withdrawal.due_ms = 0
    credit_spot(account, withdrawal.coin, withdrawal.amount, now)


def complete(withdrawal: Withdrawal, now: int, confirmations: int) -> None:
    withdrawal.status = COMPLETED
    withdrawal.complete_time = now
    withdrawal.confirm_no = confirmations
    withdrawal.info = ""


def _state_of(withdrawal: Withdrawal) -> str:
    sent = f", sent in {withdrawal.tx_id}" if withdrawal.broadcast else ""
    return f"status {withdrawal.status}{sent}"


def find_withdrawal(state: EmulatorState, withdrawal_id_: str) -> tuple[Account, Withdrawal]:
    for account in state.accounts.values():
        for withdrawal in account.withdrawals:
            if withdrawal.id == withdrawal_id_:
                return account, withdrawal
    raise ValueError(f"unknown withdrawal id {withdrawal_id_!r}")


# --- deposits --------------------------------------------------------------------------------
def spot_amount(amount: Decimal) -> Decimal:
    return amount.quantize(SPOT_PRECISION, rounding=ROUND_DOWN)


def update_deposit(account: Account, deposit: Deposit, confirmations: int, now: int) -> None:
    """Count confirmations; credit the spot wallet once ``minConfirm`` blocks are on top
    (status 6 while ``unLockConfirm`` is still ahead, then 1)."""
    deposit.confirmations = confirmations
    if confirmations < deposit.min_confirm:
        return
    if not deposit.credited:
        credit_spot(account, deposit.coin, deposit.amount, now)
        deposit.credited = True
        deposit.complete_time = now
    locked = deposit.unlock_confirm > confirmations
    deposit.status = DEPOSIT_CREDITED_LOCKED if locked else DEPOSIT_SUCCESS


def processing_amount(account: Account, coin: str) -> Decimal:
    """What ``config/getall`` shows as ``withdrawing``."""
    busy = (PROCESSING, AWAITING_APPROVAL)
    return sum((w.amount for w in account.withdrawals if w.coin == coin and w.status in busy), ZERO)

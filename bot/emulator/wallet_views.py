"""Wallet records as Binance's JSON (reference Part 1): key order, strings for amounts, ints for
statuses and ids, withdraw times as UTC strings and deposit times as milliseconds.

Fields Binance fills only once known (a withdrawal's ``txId`` and ``completeTime``, a deposit's
``completeTime``) are left out until then, so a client that indexes them blindly fails here as it
would on a live pending record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.emulator.coins import ADDRESS_REGEX, COIN_NAMES, CoinNetwork
from bot.emulator.decimals import ZERO, fmt8, plain
from bot.emulator.state import Account
from bot.emulator.wallet import account_uid, deposit_address, processing_amount
from bot.emulator.wallet_state import COMPLETED, Deposit, Transfer, Withdrawal

Json = dict[str, Any]
SPOT_ASSETS = ("BTC", "ETH", "BNB", "USDT", "USDC")
SUSPENDED = "Wallet Maintenance, Deposit Suspended"
WITHDRAW_SUSPENDED = "Wallet Maintenance, Withdrawal Suspended"
KEY_CREATED_MS = 1_600_000_000_000


def utc_string(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def spot_account(account: Account, *, omit_zero: bool) -> Json:
    assets = [*SPOT_ASSETS, *sorted(set(account.spot) - set(SPOT_ASSETS))]
    balances = [
        {"asset": a, "free": fmt8(account.spot.get(a, ZERO)), "locked": fmt8(ZERO)}
        for a in assets
        if not omit_zero or account.spot.get(a, ZERO) != 0
    ]
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": account.spot_update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account_uid(account.api_key),
    }


def transfer_row(transfer: Transfer) -> Json:
    return {
        "asset": transfer.asset,
        "amount": plain(transfer.amount),
        "type": transfer.type,
        "status": transfer.status,
        "tranId": transfer.tran_id,
        "timestamp": transfer.timestamp,
    }


def withdrawal_row(w: Withdrawal) -> Json:
    """``amount`` is what reaches the address (applied amount less the fee) [INFER: the docs
    do not say; a live capture should confirm]."""
    row: Json = {
        "id": w.id,
        "amount": fmt8(w.net),
        "transactionFee": plain(w.fee),
        "coin": w.coin,
        "status": w.status,
        "address": w.address,
    }
    if w.tx_id:
        row["txId"] = w.tx_id
    row.update({"applyTime": utc_string(w.apply_time), "network": w.network, "transferType": 0})
    if w.withdraw_order_id is not None:
        row["withdrawOrderId"] = w.withdraw_order_id
    row.update(
        {"info": w.info, "confirmNo": w.confirm_no, "walletType": w.wallet_type, "txKey": ""}
    )
    if w.status == COMPLETED:
        row["completeTime"] = utc_string(w.complete_time)
    return row


def deposit_row(d: Deposit) -> Json:
    row: Json = {
        "id": d.id,
        "amount": plain(d.amount),
        "coin": d.coin,
        "network": d.network,
        "status": d.status,
        "address": d.address,
        "addressTag": "",
        "txId": d.tx_id,
        "insertTime": d.insert_time,
    }
    if d.credited:
        row["completeTime"] = d.complete_time
    row.update(
        {
            "transferType": 0,
            "confirmTimes": f"{min(d.confirmations, d.min_confirm)}/{d.min_confirm}",
            "unlockConfirm": d.unlock_confirm,
            "walletType": 0,
            "travelRuleStatus": 0,
        }
    )
    return row


def network_row(net: CoinNetwork) -> Json:
    return {
        "network": net.network,
        "coin": net.coin,
        "withdrawIntegerMultiple": plain(net.multiple),
        "isDefault": net.is_default,
        "depositEnable": net.deposit_enable,
        "withdrawEnable": net.withdraw_enable,
        "depositDesc": "" if net.deposit_enable else SUSPENDED,
        "withdrawDesc": "" if net.withdraw_enable else WITHDRAW_SUSPENDED,
        "specialTips": "",
        "specialWithdrawTips": "",
        "name": net.network_name,
        "resetAddressStatus": False,
        "addressRegex": ADDRESS_REGEX,
        "memoRegex": "",
        "withdrawFee": plain(net.withdraw_fee),
        "withdrawMin": plain(net.withdraw_min),
        "withdrawMax": plain(net.withdraw_max),
        "withdrawInternalMin": plain(net.withdraw_internal_min),
        "depositDust": plain(net.deposit_dust),
        "minConfirm": net.min_confirm,
        "unLockConfirm": net.unlock_confirm,
        "sameAddress": False,
        "withdrawTag": False,
        "estimatedArrivalTime": net.estimated_arrival_time,
        "busy": False,
        "contractAddressUrl": f"{net.explorer}/token/",
        "contractAddress": net.contract_address.lower(),
    }


def coin_row(account: Account, coin: str, networks: list[CoinNetwork]) -> Json:
    zero = fmt8(ZERO)
    name = next((n.coin_name for n in networks if n.coin_name), "") or COIN_NAMES.get(coin, coin)
    return {
        "coin": coin,
        "depositAllEnable": all(n.deposit_enable for n in networks),
        "withdrawAllEnable": all(n.withdraw_enable for n in networks),
        "name": name,
        "free": fmt8(account.spot.get(coin, ZERO)),
        "locked": zero,
        "freeze": zero,
        "withdrawing": fmt8(processing_amount(account, coin)),
        "ipoing": zero,
        "ipoable": zero,
        "storage": zero,
        "isLegalMoney": False,
        "trading": True,
        "networkList": [network_row(n) for n in networks],
    }


def address_row(account: Account, net: CoinNetwork) -> Json:
    address = deposit_address(account.api_key)
    return {
        "address": address,
        "coin": net.coin,
        "tag": "",
        "url": f"{net.explorer}/address/{address}",
    }


def api_restrictions() -> Json:
    """What a withdrawing key looks like: withdrawals need an IP restriction (§1.0). The
    emulator does not track when a key was made: ``createTime`` is fixed."""
    return {
        "ipRestrict": True,
        "createTime": KEY_CREATED_MS,
        "enableReading": True,
        "enableWithdrawals": True,
        "enableInternalTransfer": True,
        "enableMargin": False,
        "enableFutures": True,
        "permitsUniversalTransfer": True,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": False,
        "enablePortfolioMarginTrading": False,
    }

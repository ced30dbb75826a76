"""Control plane for the wallet (not part of Binance's API).

- ``POST /_emulator/coins``: add or change one coin network (``config/getall`` fields, e.g.
  ``{"coin": "USDT", "network": "BSC", "withdraw_enable": false}``);
- ``POST /_emulator/wallet``: ``whitelist`` (list of addresses, or null for off),
  ``withdraw_delay_secs``, ``withdraw_policy`` (``process`` | ``hold`` | ``reject``, for the
  withdrawals applied from now on) and ``withdraw_policy_info`` (the rejection reason);
- ``DELETE /_emulator/wallet``: default coins and settings, chain unlinked;
- ``POST /_emulator/withdrawal``: ``{"id", "action": "hold" | "reject" | "release", "info"}`` on
  one withdrawal not yet sent: hold = status 2 (awaiting approval), reject = status 3 with the
  amount back in spot, release = processing again (sent after the delay);
- ``POST /_emulator/chain``: link a chain, ``{"rpc_url", "hot_wallet_key", "coins": [{"coin",
  "network", "contract_address", "decimals", "withdraw_fee", "withdraw_min", "withdraw_max",
  "withdraw_multiple", "min_confirm", ...}], "withdraw_delay_secs", "whitelist",
  "poll_interval_secs"}``; the answer (and the snapshot) show the key as ``***``;
- ``DELETE /_emulator/chain``: unlink (processing withdrawals stay at status 4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.config.secrets import Secret
from bot.emulator import wallet, wallet_views
from bot.emulator.chain_link import ChainLinkConfig
from bot.emulator.coins import WalletConfig, coin_from_fields
from bot.emulator.control_base import Body, ControlError, control_op, decimal_field, str_field
from bot.emulator.exchange import Exchange

ACTIONS = ("hold", "reject", "release")


def configure_coin(ex: Exchange, body: Body) -> Body:
    coin, network = str_field(body, "coin").upper(), str_field(body, "network").upper()
    base = ex.wallet.coins.get((coin, network))
    net = coin_from_fields(body, base)
    ex.wallet.upsert(net)
    return ex.wallet.describe()


def configure_wallet(ex: Exchange, body: Body) -> Body:
    known = {"whitelist", "withdraw_delay_secs", "withdraw_policy", "withdraw_policy_info"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown wallet setting(s) {unknown}; known: {sorted(known)}")
    if "whitelist" in body:
        whitelist = body["whitelist"]
        if whitelist is not None and not isinstance(whitelist, list):
            raise ControlError("whitelist must be a list of addresses or null")
        ex.wallet.set_whitelist(whitelist)
    delay = decimal_field(body, "withdraw_delay_secs", required=False)
    if delay is not None:
        ex.wallet.set_delay(delay)
    if "withdraw_policy" in body:
        info = str(body.get("withdraw_policy_info") or "")
        ex.wallet.set_policy(str_field(body, "withdraw_policy"), info)
    return ex.wallet.describe()


def wallet_defaults(ex: Exchange) -> Body:
    ex.unlink_chain()
    ex.wallet = WalletConfig()
    return ex.wallet.describe()


def withdrawal_action(ex: Exchange, body: Body) -> Body:
    action = str_field(body, "action")
    if action not in ACTIONS:
        raise ControlError(f"action must be one of {ACTIONS}, got {action!r}")
    account, withdrawal = wallet.find_withdrawal(ex.state, str_field(body, "id"))
    now = ex.market_ms()
    if action == "hold":
        wallet.hold(withdrawal)
    elif action == "reject":
        info = body.get("info") or "Rejected by the emulator control plane"
        wallet.reject(account, withdrawal, str(info), now)
    else:
        wallet.release(withdrawal, now, ex.wallet.withdraw_delay_secs)
    return wallet_views.withdrawal_row(withdrawal)


def link_config(body: Body) -> ChainLinkConfig:
    known = {
        "rpc_url",
        "hot_wallet_key",
        "coins",
        "withdraw_delay_secs",
        "whitelist",
        "poll_interval_secs",
    }
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown chain setting(s) {unknown}; known: {sorted(known)}")
    coins = body.get("coins")
    if not isinstance(coins, list) or not all(isinstance(c, dict) for c in coins):
        raise ControlError("coins must be a list of objects (coin, network, contract_address...)")
    whitelist = body.get("whitelist")
    if whitelist is not None and not isinstance(whitelist, list):
        raise ControlError("whitelist must be a list of addresses or null")
    return ChainLinkConfig(
        rpc_url=str_field(body, "rpc_url"),
        hot_wallet_key=Secret(str_field(body, "hot_wallet_key")),
        coins=tuple(coins),
        withdraw_delay_secs=decimal_field(body, "withdraw_delay_secs", required=False),
        whitelist=None if whitelist is None else tuple(whitelist),
        poll_interval_secs=float(body.get("poll_interval_secs", 0.25)),
    )


def link_chain(ex: Exchange, body: Body) -> Body:
    return ex.link_chain(link_config(body))


def unlink_chain(ex: Exchange) -> None:
    ex.unlink_chain()


def wallet_control_routes(ex: Exchange) -> list[Route]:
    def op(fn: Callable[[Exchange, Body], Any]) -> Callable[[Request], Awaitable[Response]]:
        return control_op(ex, lambda body: fn(ex, body))

    return [
        Route("/_emulator/coins", op(configure_coin), methods=["POST"]),
        Route("/_emulator/wallet", op(configure_wallet), methods=["POST"]),
        Route("/_emulator/wallet", op(lambda ex, _: wallet_defaults(ex)), methods=["DELETE"]),
        Route("/_emulator/withdrawal", op(withdrawal_action), methods=["POST"]),
        Route("/_emulator/chain", op(link_chain), methods=["POST"]),
        Route("/_emulator/chain", op(lambda ex, _: unlink_chain(ex)), methods=["DELETE"]),
    ]

"""The wallet half of ``EmulatorControl``: coins, wallet settings, withdrawal knobs, the chain
link. See ``bot.emulator.control_wallet`` for what each call does on the emulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

Number = Decimal | str | int | float
WithdrawalAction = Literal["hold", "reject", "release"]


class WalletControl:
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError

    def configure_coin(self, coin: str, network: str, **fields: Any) -> dict[str, Any]:
        """Add or change one coin network, e.g. ``withdraw_enable=False``,
        ``withdraw_fee="0.8"``; a new one needs ``contract_address`` and ``decimals``."""
        body = {"coin": coin, "network": network, **_jsonable(fields)}
        result: dict[str, Any] = self._call("POST", "coins", body)
        return result

    def configure_wallet(
        self,
        *,
        whitelist: list[str] | Literal[False] | None = False,
        withdraw_delay_secs: Number | None = None,
        withdraw_policy: Literal["process", "hold", "reject"] | None = None,
        withdraw_policy_info: str = "",
    ) -> dict[str, Any]:
        """``whitelist=None`` turns the whitelist off (``False``: leave it); the policy applies
        to withdrawals applied from now on: ``hold`` leaves them at status 2 (awaiting
        approval), ``reject`` at status 3 with the amount back in spot."""
        body: dict[str, Any] = {}
        if whitelist is not False:
            body["whitelist"] = whitelist
        if withdraw_delay_secs is not None:
            body["withdraw_delay_secs"] = str(withdraw_delay_secs)
        if withdraw_policy is not None:
            body["withdraw_policy"] = withdraw_policy
            body["withdraw_policy_info"] = withdraw_policy_info
        result: dict[str, Any] = self._call("POST", "wallet", body)
        return result

    def wallet_defaults(self) -> None:
        """Default coins and wallet settings; the chain unlinked."""
        self._call("DELETE", "wallet")

    def withdrawal_action(
        self, withdrawal_id: str, action: WithdrawalAction, info: str = ""
    ) -> dict[str, Any]:
        """``hold`` (status 2), ``reject`` (status 3, refunded) or ``release`` (processing,
        sent after the delay) one withdrawal not yet sent; returns its history row."""
        body = {"id": withdrawal_id, "action": action, "info": info}
        result: dict[str, Any] = self._call("POST", "withdrawal", body)
        return result

    def link_chain(
        self,
        rpc_url: str,
        hot_wallet_key: str,
        coins: list[dict[str, Any]],
        *,
        withdraw_delay_secs: Number | None = None,
        whitelist: list[str] | None = None,
        poll_interval_secs: float = 0.1,
    ) -> dict[str, Any]:
        """Settle the wallet on the chain at ``rpc_url``: ``hot_wallet_key`` pays withdrawals
        (it must hold the tokens), ``coins`` are ``CoinNetwork`` fields (``coin``, ``network``,
        ``contract_address``, ``decimals``, ``withdraw_fee``, ``withdraw_min``,
        ``withdraw_max``, ``withdraw_multiple``, ``min_confirm``, ...). Returns the link's
        description (the key shown as ``***``)."""
        body: dict[str, Any] = {
            "rpc_url": rpc_url,
            "hot_wallet_key": hot_wallet_key,
            "coins": [_jsonable(c) for c in coins],
            "whitelist": whitelist,
            "poll_interval_secs": poll_interval_secs,
        }
        if withdraw_delay_secs is not None:
            body["withdraw_delay_secs"] = str(withdraw_delay_secs)
        result: dict[str, Any] = self._call("POST", "chain", body)
        return result

    def unlink_chain(self) -> None:
        self._call("DELETE", "chain")


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal | float) else v for k, v in fields.items()}

"""The deposit's chain leg: the reserve token sent from the reserve wallet to the exchange's
deposit address, through the transaction manager (journaled by key, one per sender at a time,
replaced with a fee bump when stuck)."""

from __future__ import annotations

from decimal import Decimal

from web3 import Web3

from bot.chain.abis import load_abi
from bot.daemon.capital.desk import DepositNotSent
from bot.wallet.txmanager import TxManager
from bot.wallet.txtypes import TxRequest


class ReserveTokenSender:
    def __init__(self, txm: TxManager, *, token: str, decimals: int, position: str) -> None:
        self._txm = txm
        self._token = Web3.to_checksum_address(token)
        self._decimals = decimals
        self._position = position
        self._contract = Web3().eth.contract(address=self._token, abi=load_abi("ERC20"))

    def send_token(self, *, key: str, to: str, amount: Decimal) -> str:
        raw = int(amount * Decimal(10) ** self._decimals)
        if Decimal(raw) != amount * Decimal(10) ** self._decimals:
            raise ValueError(f"{amount} has more decimals than the token's {self._decimals}")
        data = self._contract.encode_abi("transfer", args=[Web3.to_checksum_address(to), raw])
        outcome = self._txm.send(
            TxRequest(
                key=key,
                kind="deposit",
                to=self._token,
                data=bytes(Web3.to_bytes(hexstr=data)),
                amount=amount,
                asset=self._token,
                position=self._position,
            )
        )
        if not outcome.ok or outcome.tx_hash is None:
            reason = outcome.revert_reason or outcome.status.value
            raise DepositNotSent(f"deposit {key} to {to}: {reason}")
        return outcome.tx_hash


__all__ = ["ReserveTokenSender"]

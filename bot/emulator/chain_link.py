"""The emulator's link to an EVM chain (a local anvil): what to link, and the few web3 calls the
wallet settles with. ``ChainClient`` is the only holder of the hot wallet's key; it never
appears in a repr, a log line, an error or the snapshot.

Every call is serialized by the client's own lock: the settlement thread and the control plane
(reset re-reads the head) share one client.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3Exception

from bot.config.secrets import Secret
from bot.emulator.coins import CoinNetwork
from bot.redact import MASK, redact_url, scrub

ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "transfer",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "decimals",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint8"}],
    },
]
TRANSFER_TOPIC = Web3.to_hex(Web3.keccak(text="Transfer(address,address,uint256)"))
LOG_CHUNK_BLOCKS = 1000
GAS_HEADROOM = Decimal("1.2")


class ChainLinkError(ValueError):
    """The chain cannot be linked: unreachable, wrong token, bad key. Says which, never the key."""


@dataclass(frozen=True, kw_only=True)
class ChainLinkConfig:
    """What ``link_chain`` takes. ``coins``: ``CoinNetwork`` fields per coin (at least ``coin``,
    ``network``, ``contract_address``, ``decimals``); ``whitelist`` None = no whitelist."""

    rpc_url: str
    hot_wallet_key: Secret
    coins: tuple[dict[str, Any], ...]
    withdraw_delay_secs: Decimal | None = None
    whitelist: tuple[str, ...] | None = None
    poll_interval_secs: float = 0.25
    rpc_timeout_secs: float = 10.0

    def __post_init__(self) -> None:
        if not self.coins:
            raise ChainLinkError("link_chain needs at least one coin")
        if not 0.01 <= self.poll_interval_secs <= 60:
            raise ChainLinkError("poll_interval_secs must be in [0.01, 60]")


@dataclass(frozen=True, kw_only=True)
class TransferLog:
    token: str  # lower-case contract address
    to: str  # lower-case recipient
    raw_amount: int
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str


@dataclass(frozen=True, kw_only=True)
class SignedTransfer:
    tx_hash: str
    raw_tx: str
    nonce: int


@dataclass(frozen=True, kw_only=True)
class Receipt:
    ok: bool
    block_number: int


def _key_account(key: Secret) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(key.reveal())
    except Exception:  # eth-keys raises several types; none may carry the key out
        raise ChainLinkError(
            "hot_wallet_key is not a valid private key (32 bytes, hex); it is not shown"
        ) from None
    return account


@dataclass(eq=False)
class ChainClient:
    rpc_url: str
    chain_id: int
    w3: Web3
    timeout_secs: float
    _account: LocalAccount = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def connect(config: ChainLinkConfig) -> ChainClient:
        account = _key_account(config.hot_wallet_key)
        provider = Web3.HTTPProvider(
            config.rpc_url, request_kwargs={"timeout": config.rpc_timeout_secs}
        )
        w3 = Web3(provider)
        try:
            chain_id = int(w3.eth.chain_id)
        except Exception as exc:  # requests' and web3's errors alike: the node is not there
            raise ChainLinkError(
                f"cannot reach the chain RPC at {redact_url(config.rpc_url)}: {type(exc).__name__}"
            ) from None
        return ChainClient(
            rpc_url=config.rpc_url,
            chain_id=chain_id,
            w3=w3,
            timeout_secs=config.rpc_timeout_secs,
            _account=account,
        )

    @property
    def hot_wallet(self) -> str:
        return str(self._account.address)

    def describe(self) -> dict[str, Any]:
        return {
            "rpc_url": redact_url(self.rpc_url),
            "chain_id": self.chain_id,
            "hot_wallet": self.hot_wallet,
            "hot_wallet_key": MASK,
        }

    def check_token(self, net: CoinNetwork) -> None:
        """The contract exists and has the configured decimals."""
        where = f"{net.coin} on {net.network} at {net.contract_address}"
        address = Web3.to_checksum_address(net.contract_address)
        with self._lock:
            if len(self.w3.eth.get_code(address)) == 0:
                raise ChainLinkError(f"{where}: no contract on chain {self.chain_id}")
            try:
                decimals = int(self._erc20(address).functions.decimals().call())
            except (Web3Exception, ValueError) as exc:
                reason = scrub(str(exc), [self.rpc_url])
                raise ChainLinkError(f"{where}: decimals() failed: {reason}") from None
        if decimals != net.decimals:
            raise ChainLinkError(f"{where}: the token has {decimals} decimals, not {net.decimals}")

    def head(self) -> tuple[int, str]:
        with self._lock:
            block = self.w3.eth.get_block("latest")
        return int(block["number"]), Web3.to_hex(block["hash"])

    def block_hash(self, number: int) -> str | None:
        with self._lock:
            try:
                block = self.w3.eth.get_block(number)
            except Web3Exception:
                return None  # past the head: the chain went back
        return Web3.to_hex(block["hash"])

    def transfer_logs(
        self, tokens: list[str], recipients: list[str], first: int, last: int
    ) -> list[TransferLog]:
        """ERC-20 ``Transfer`` logs of ``tokens`` to ``recipients`` in blocks [first, last]."""
        if not tokens or not recipients or first > last:
            return []
        topics = ["0x" + "0" * 24 + r.removeprefix("0x").lower() for r in recipients]
        found: list[TransferLog] = []
        for start in range(first, last + 1, LOG_CHUNK_BLOCKS):
            end = min(last, start + LOG_CHUNK_BLOCKS - 1)
            query: Any = {
                "fromBlock": start,
                "toBlock": end,
                "address": [Web3.to_checksum_address(t) for t in tokens],
                "topics": [TRANSFER_TOPIC, None, topics],
            }
            with self._lock:
                logs = self.w3.eth.get_logs(query)
            found.extend(_transfer_log(entry) for entry in logs)
        return found

    def sign_transfer(self, token: str, to: str, raw_amount: int) -> SignedTransfer:
        """Sign ``transfer(to, raw_amount)`` from the hot wallet at its next nonce. Raises when
        it would revert (the hot wallet lacks the tokens) before anything is sent."""
        fn = self._erc20(token).functions.transfer(Web3.to_checksum_address(to), raw_amount)
        sender = self._account.address
        with self._lock:
            nonce = int(self.w3.eth.get_transaction_count(sender, "pending"))
            gas = int(fn.estimate_gas({"from": sender}))
            tx = fn.build_transaction(
                {
                    "from": sender,
                    "nonce": nonce,
                    "gas": int(gas * GAS_HEADROOM),
                    "chainId": self.chain_id,
                }
            )
        signed = self._account.sign_transaction(tx)
        return SignedTransfer(
            tx_hash=Web3.to_hex(signed.hash),
            raw_tx=Web3.to_hex(signed.raw_transaction),
            nonce=nonce,
        )

    def broadcast(self, raw_tx: str) -> None:
        with self._lock:
            try:
                self.w3.eth.send_raw_transaction(HexStr(raw_tx))
            except Web3Exception as exc:
                if "already" not in str(exc).lower():  # "already known": sent before
                    raise

    def receipt(self, tx_hash: str) -> Receipt | None:
        with self._lock:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
            except TransactionNotFound:
                return None
        return Receipt(ok=receipt["status"] == 1, block_number=int(receipt["blockNumber"]))

    def is_pending(self, tx_hash: str) -> bool:
        with self._lock:
            try:
                self.w3.eth.get_transaction(HexStr(tx_hash))
            except TransactionNotFound:
                return False
        return True

    def nonce_used(self, nonce: int) -> bool:
        with self._lock:
            mined = int(self.w3.eth.get_transaction_count(self._account.address, "latest"))
        return mined > nonce

    def _erc20(self, token: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)


def _transfer_log(entry: Any) -> TransferLog:
    data = entry["data"]
    raw = int.from_bytes(bytes(data), "big") if not isinstance(data, str) else int(data, 16)
    return TransferLog(
        token=str(entry["address"]).lower(),
        to="0x" + bytes(entry["topics"][2])[-20:].hex(),
        raw_amount=raw,
        tx_hash=Web3.to_hex(entry["transactionHash"]),
        log_index=int(entry["logIndex"]),
        block_number=int(entry["blockNumber"]),
        block_hash=Web3.to_hex(entry["blockHash"]),
    )

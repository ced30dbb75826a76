"""The key that signs the reserve wallet's transactions.

Where it comes from, in this order (exactly one must be configured):
- ``HEDGEBOT_WALLET_KEY`` (or ``HEDGEBOT_WALLET_KEY_FILE``): a hex private key;
- an encrypted JSON keystore (eth-account / geth format) named by the ``keystore_path``
  argument or ``HEDGEBOT_WALLET_KEYSTORE``, with its password in ``HEDGEBOT_KEYSTORE_PASSWORD``
  (or ``HEDGEBOT_KEYSTORE_PASSWORD_FILE``).

The key never appears in a repr, str, log line or error message; the address it controls is
checked against the configured wallet when the signer is loaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from bot.config.secrets import Secret, SecretError, read_secret

KEY_ENV = "HEDGEBOT_WALLET_KEY"
KEYSTORE_ENV = "HEDGEBOT_WALLET_KEYSTORE"
PASSWORD_ENV = "HEDGEBOT_KEYSTORE_PASSWORD"  # noqa: S105 (a variable name)


class SignerError(ValueError):
    """The signing key is missing, unreadable, or controls the wrong address."""


class WalletMismatchError(SignerError):
    pass


class Signer:
    """Signs transactions for one address. ``repr`` shows the address only."""

    __slots__ = ("_account", "checksum")

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self.checksum: ChecksumAddress = Web3.to_checksum_address(account.address)

    @property
    def address(self) -> str:
        return str(self.checksum)

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTransaction:
        return self._account.sign_transaction(dict(tx))

    def __repr__(self) -> str:
        return f"Signer(address={self.address}, key=***)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Signer holds a private key and cannot be pickled")


def load_signer(
    *,
    expected_address: str | None,
    keystore_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Signer:
    """The signer configured in ``env`` (default: the process environment). With
    ``expected_address`` (the configured reserve wallet), a different address is an error."""
    env = os.environ if env is None else env
    try:
        key = read_secret(KEY_ENV, env)
        keystore = keystore_path or env.get(KEYSTORE_ENV)
        if key is not None and keystore:
            raise SignerError(
                f"both {KEY_ENV} (or {KEY_ENV}_FILE) and a keystore ({keystore}) are set: "
                "configure exactly one"
            )
        if key is not None:
            account = _from_key(key)
        elif keystore:
            account = _from_keystore(Path(keystore), read_secret(PASSWORD_ENV, env))
        else:
            raise SignerError(
                f"no wallet key: set {KEY_ENV} (or {KEY_ENV}_FILE), or {KEYSTORE_ENV} with "
                f"{PASSWORD_ENV} (or {PASSWORD_ENV}_FILE)"
            )
    except SecretError as exc:
        raise SignerError(str(exc)) from None
    signer = Signer(account)
    if expected_address is not None:
        if not Web3.is_address(expected_address):
            raise SignerError(f"configured wallet {expected_address!r} is not an EVM address")
        expected = Web3.to_checksum_address(expected_address)
        if expected != signer.address:
            raise WalletMismatchError(
                f"the wallet key controls {signer.address} but the configured wallet is "
                f"{expected}: refusing to sign for a different address"
            )
    return signer


def _from_key(key: Secret) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(key.reveal())
    except (ValueError, TypeError):
        # The library's message may echo the key: say what is wrong without it.
        raise SignerError(
            f"{KEY_ENV} is not a valid private key (expected 32 bytes as 64 hex digits)"
        ) from None
    return account


def _from_keystore(path: Path, password: Secret | None) -> LocalAccount:
    if password is None:
        raise SignerError(f"keystore {path} needs {PASSWORD_ENV} (or {PASSWORD_ENV}_FILE)")
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SignerError(f"keystore {path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise SignerError(f"keystore {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        private_key = Account.decrypt(keyfile, password.reveal())
    except ValueError:
        raise SignerError(
            f"keystore {path}: wrong password in {PASSWORD_ENV} or a corrupt file"
        ) from None
    except (KeyError, TypeError) as exc:
        raise SignerError(f"keystore {path}: not an encrypted key file ({exc!r})") from None
    account: LocalAccount = Account.from_key(private_key)
    return account

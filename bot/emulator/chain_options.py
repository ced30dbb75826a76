"""Command-line options that link the emulator's wallet to a chain (``hedgebot emulator`` and
``python -m bot.emulator`` share them):

    --chain-rpc http://127.0.0.1:8545
    --chain-coin coin=USDC,network=BSC,contract_address=0x...,decimals=6,withdraw_fee=0.8,\
withdraw_min=10,withdraw_max=100000,withdraw_multiple=0.01,min_confirm=3   (repeatable)
    --withdraw-delay-secs 30
    --withdraw-whitelist 0x...   (repeatable; none: no whitelist)

The hot wallet's private key is read from ``HEDGEBOT_EMULATOR_HOT_WALLET_KEY`` or the file named
by ``HEDGEBOT_EMULATOR_HOT_WALLET_KEY_FILE`` (or a mounted secret), never from an argument.
Everything is checked here, before the emulator starts, with messages that name the option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from bot.config.secrets import SecretError, read_secret
from bot.emulator.chain_link import ChainLinkConfig, ChainLinkError
from bot.emulator.coins import FIELD_NAMES, WalletConfig, coin_from_fields, default_coins

HOT_KEY_ENV = "HEDGEBOT_EMULATOR_HOT_WALLET_KEY"


class ChainOptionError(ValueError):
    """A chain option is wrong; the message names it (and never holds the key)."""


def parse_coin_spec(text: str) -> dict[str, str]:
    """``coin=USDC,network=BSC,...`` -> fields, checked against the known field names."""
    fields: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise ChainOptionError(f"--chain-coin: expected name=value items, got {item!r}")
        if name not in FIELD_NAMES:
            raise ChainOptionError(
                f"--chain-coin: unknown field {name!r}; known: {', '.join(sorted(FIELD_NAMES))}"
            )
        fields[name] = value.strip()
    return fields


def _coins(specs: Sequence[str]) -> tuple[dict[str, str], ...]:
    parsed = tuple(parse_coin_spec(spec) for spec in specs)
    defaults = default_coins()
    for fields in parsed:
        key = (fields.get("coin", "").upper(), fields.get("network", "").upper())
        try:
            coin_from_fields(dict(fields), defaults.get(key))
        except ValueError as exc:
            raise ChainOptionError(f"--chain-coin: {exc}") from None
    return parsed


def _delay(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ChainOptionError(f"--withdraw-delay-secs must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ChainOptionError(f"--withdraw-delay-secs must be >= 0, got {raw!r}")
    return value


def chain_link_from_options(
    *,
    rpc_url: str | None,
    coins: Sequence[str],
    withdraw_delay_secs: str | None,
    whitelist: Sequence[str],
    env: Mapping[str, str] | None = None,
) -> ChainLinkConfig | None:
    """The link the options describe, or None when ``--chain-rpc`` is not given."""
    if rpc_url is None:
        if coins or whitelist or withdraw_delay_secs is not None:
            raise ChainOptionError(
                "--chain-coin, --withdraw-delay-secs and --withdraw-whitelist need --chain-rpc"
            )
        return None
    if not coins:
        raise ChainOptionError("--chain-rpc needs at least one --chain-coin")
    try:
        key = read_secret(HOT_KEY_ENV, env)
    except SecretError as exc:
        raise ChainOptionError(str(exc)) from None
    if key is None:
        raise ChainOptionError(
            f"--chain-rpc needs the hot wallet's private key in {HOT_KEY_ENV} or "
            f"{HOT_KEY_ENV}_FILE (it pays the withdrawals)"
        )
    try:
        WalletConfig().set_whitelist(list(whitelist))
    except ValueError as exc:
        raise ChainOptionError(f"--withdraw-whitelist: {exc}") from None
    try:
        return ChainLinkConfig(
            rpc_url=rpc_url,
            hot_wallet_key=key,
            coins=_coins(coins),
            withdraw_delay_secs=_delay(withdraw_delay_secs),
            whitelist=tuple(whitelist) if whitelist else None,
        )
    except ChainLinkError as exc:
        raise ChainOptionError(str(exc)) from None

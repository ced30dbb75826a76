"""``python -m bot.emulator --port 8700 [--state FILE]``, extra key pairs in
``HEDGEBOT_EMULATOR_API_KEYS`` or ``HEDGEBOT_EMULATOR_API_KEYS_FILE`` (``--api-key KEY:SECRET``
also works, but shows the secret in the process list). ``--chain-rpc`` and ``--chain-coin``
link the wallet to a chain (see ``bot.emulator.chain_options``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config.secrets import SecretError
from bot.emulator.chain_link import ChainLinkError
from bot.emulator.chain_options import ChainOptionError, chain_link_from_options
from bot.emulator.keys import KeySpecError, keys_from_env, parse_pair, startup_warnings
from bot.emulator.server import serve


def parse_key(text: str) -> tuple[str, str]:
    try:
        return parse_pair(text)
    except KeySpecError as exc:
        raise argparse.ArgumentTypeError(f"--api-key: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator",
        description="Local Binance emulator (USD-M, COIN-M, spot account, wallet)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--state", type=Path, default=None, help="persist state to this JSON file")
    parser.add_argument(
        "--api-key",
        action="append",
        type=parse_key,
        default=[],
        metavar="KEY:SECRET",
        help="extra API key pair (repeatable; visible in the process list: prefer "
        "HEDGEBOT_EMULATOR_API_KEYS or HEDGEBOT_EMULATOR_API_KEYS_FILE)",
    )
    parser.add_argument(
        "--server-skew-ms",
        type=int,
        default=0,
        help="offset of the emulator's server clock from the wall clock",
    )
    parser.add_argument("--chain-rpc", default=None, help="link the wallet to this EVM RPC")
    parser.add_argument(
        "--chain-coin",
        action="append",
        default=[],
        metavar="coin=..,network=..,contract_address=..,decimals=..",
        help="a coin on the linked chain (repeatable)",
    )
    parser.add_argument("--withdraw-delay-secs", default=None)
    parser.add_argument("--withdraw-whitelist", action="append", default=[], metavar="ADDRESS")
    args = parser.parse_args(argv)
    for warning in startup_warnings(args.host, keys_on_command_line=bool(args.api_key)):
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    try:
        from_env = keys_from_env()
    except (KeySpecError, SecretError) as exc:
        parser.error(str(exc))
    try:
        chain = chain_link_from_options(
            rpc_url=args.chain_rpc,
            coins=args.chain_coin,
            withdraw_delay_secs=args.withdraw_delay_secs,
            whitelist=args.withdraw_whitelist,
        )
        serve(
            host=args.host,
            port=args.port,
            state_file=args.state,
            api_keys=[*from_env, *args.api_key],
            server_skew_ms=args.server_skew_ms,
            chain=chain,
        )
    except (ChainOptionError, ChainLinkError) as exc:
        parser.error(f"chain link: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

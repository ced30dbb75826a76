"""``python -m bot.emulator --port 8700 [--state FILE]``, extra key pairs in
``HEDGEBOT_EMULATOR_API_KEYS`` or ``HEDGEBOT_EMULATOR_API_KEYS_FILE`` (``--api-key KEY:SECRET``
also works, but shows the secret in the process list)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config.secrets import SecretError
from bot.emulator.keys import KeySpecError, keys_from_env, parse_pair, startup_warnings
from bot.emulator.server import serve


def parse_key(text: str) -> tuple[str, str]:
    try:
        return parse_pair(text)
    except KeySpecError as exc:
        raise argparse.ArgumentTypeError(f"--api-key: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Local Binance Futures (USD-M + COIN-M) emulator"
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
    args = parser.parse_args(argv)
    for warning in startup_warnings(args.host, keys_on_command_line=bool(args.api_key)):
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    try:
        from_env = keys_from_env()
    except (KeySpecError, SecretError) as exc:
        parser.error(str(exc))
    serve(
        host=args.host,
        port=args.port,
        state_file=args.state,
        api_keys=[*from_env, *args.api_key],
        server_skew_ms=args.server_skew_ms,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

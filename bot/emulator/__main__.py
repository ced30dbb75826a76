"""``python -m bot.emulator --port 8700 [--state FILE] [--api-key KEY:SECRET ...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.emulator.server import serve


def parse_key(text: str) -> tuple[str, str]:
    key, sep, secret = text.partition(":")
    if not sep or not key or not secret:
        raise argparse.ArgumentTypeError(f"--api-key must be KEY:SECRET, got {text!r}")
    return key, secret


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
        help="extra API key pair (repeatable)",
    )
    parser.add_argument(
        "--server-skew-ms",
        type=int,
        default=0,
        help="offset of the emulator's server clock from the wall clock",
    )
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        state_file=args.state,
        api_keys=args.api_key,
        server_skew_ms=args.server_skew_ms,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

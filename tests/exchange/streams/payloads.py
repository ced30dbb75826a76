"""Stream payloads in the shapes of the reference (binance-wallet-and-streams.md Part 2)."""

from __future__ import annotations

from typing import Any


def mark(symbol: str, price: str, event_ms: int | str) -> dict[str, Any]:
    """The combined-stream wrapper python-binance hands the mark callback."""
    data = {
        "e": "markPriceUpdate", "E": event_ms, "s": symbol, "p": price, "i": price,
        "P": price, "r": "0.00010000", "ap": price, "T": 1562306400000, "st": 1,
    }  # fmt: skip
    return {"stream": f"{symbol.lower()}@markPrice@1s", "data": data}


def account_update(
    event_ms: int | str,
    *,
    positions: tuple[tuple[str, str, str], ...] = (),
    balances: tuple[tuple[str, str], ...] = (),
    reason: str = "ORDER",
    margin_type: str = "cross",
) -> dict[str, Any]:
    """positions: (symbol, amount, entry); balances: (asset, wallet balance)."""
    return {
        "e": "ACCOUNT_UPDATE",
        "T": int(event_ms) - 1,
        "E": event_ms,
        "a": {
            "m": reason,
            "B": [{"a": a, "wb": wb, "cw": wb, "bc": "0"} for a, wb in balances],
            "P": [
                {
                    "s": s,
                    "pa": pa,
                    "ep": ep,
                    "bep": ep,
                    "cr": "0",
                    "up": "0",
                    "mt": margin_type,
                    "iw": "0",
                    "ps": "BOTH",
                }
                for s, pa, ep in positions
            ],
        },
    }


def order_update(
    event_ms: int, *, order_id: int, cid: str, status: str, filled: str, trade_id: int = 0
) -> dict[str, Any]:
    return {
        "e": "ORDER_TRADE_UPDATE", "E": event_ms, "T": event_ms - 1,
        "o": {
            "s": "BNBUSDT", "c": cid, "S": "SELL", "o": "MARKET", "f": "GTC", "q": "1",
            "p": "0", "ap": "600", "sp": "0", "x": "TRADE" if trade_id else "NEW",
            "X": status, "i": order_id, "l": filled, "z": filled, "L": "600", "n": "0.1",
            "N": "USDT", "T": event_ms - 1, "t": trade_id, "b": "0", "a": "0", "m": False,
            "R": False, "wt": "CONTRACT_PRICE", "ot": "MARKET", "ps": "BOTH", "cp": False,
            "rp": "0", "pP": False, "si": 0, "ss": 0, "V": "NONE", "pm": "NONE", "gtd": 0,
        },
    }  # fmt: skip


def expired(event_ms: int | str) -> dict[str, Any]:
    return {"e": "listenKeyExpired", "E": event_ms, "listenKey": "LK1"}


def error(kind: str) -> dict[str, Any]:
    return {"e": "error", "type": kind, "m": "made up"}

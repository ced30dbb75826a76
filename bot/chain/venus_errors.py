"""Venus's Compound-style failures: a rejected call is a mined transaction that returns an
error code and emits ``Failure(error, info, detail)``; these name the codes.

The enums are ``contracts/Utils/ErrorReporter.sol`` of ``@venusprotocol/venus-protocol``
10.3.0 (``ComptrollerErrorReporter.Error`` and ``TokenErrorReporter.Error``), in their order.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

__all__ = [
    "COMPTROLLER_ERRORS",
    "FAILURE_TOPIC",
    "TOKEN_ERRORS",
    "describe_failure",
    "error_name",
    "failures",
]

FAILURE_TOPIC = bytes(Web3.keccak(text="Failure(uint256,uint256,uint256)"))

COMPTROLLER_ERRORS = (
    "NO_ERROR", "UNAUTHORIZED", "COMPTROLLER_MISMATCH", "INSUFFICIENT_SHORTFALL",
    "INSUFFICIENT_LIQUIDITY", "INVALID_CLOSE_FACTOR", "INVALID_COLLATERAL_FACTOR",
    "INVALID_LIQUIDATION_INCENTIVE", "MARKET_NOT_ENTERED", "MARKET_NOT_LISTED",
    "MARKET_ALREADY_LISTED", "MATH_ERROR", "NONZERO_BORROW_BALANCE", "PRICE_ERROR", "REJECTION",
    "SNAPSHOT_ERROR", "TOO_MANY_ASSETS", "TOO_MUCH_REPAY", "INSUFFICIENT_BALANCE_FOR_VAI",
    "MARKET_NOT_COLLATERAL", "INVALID_LIQUIDATION_THRESHOLD",
)  # fmt: skip
TOKEN_ERRORS = (
    "NO_ERROR", "UNAUTHORIZED", "BAD_INPUT", "COMPTROLLER_REJECTION",
    "COMPTROLLER_CALCULATION_ERROR", "INTEREST_RATE_MODEL_ERROR", "INVALID_ACCOUNT_PAIR",
    "INVALID_CLOSE_AMOUNT_REQUESTED", "INVALID_COLLATERAL_FACTOR", "MATH_ERROR",
    "MARKET_NOT_FRESH", "MARKET_NOT_LISTED", "TOKEN_INSUFFICIENT_ALLOWANCE",
    "TOKEN_INSUFFICIENT_BALANCE", "TOKEN_INSUFFICIENT_CASH", "TOKEN_TRANSFER_IN_FAILED",
    "TOKEN_TRANSFER_OUT_FAILED", "TOKEN_PRICE_ERROR",
)  # fmt: skip


def error_name(code: int, names: tuple[str, ...]) -> str:
    return names[code] if 0 <= code < len(names) else f"error {code}"


def failures(receipt: Any) -> list[tuple[str, int, int, int]]:
    """Every ``Failure(error, info, detail)`` in the receipt, with the emitter's address."""
    out = []
    for log in receipt["logs"]:
        if log["topics"] and bytes(log["topics"][0]) == FAILURE_TOPIC and len(log["data"]) == 96:
            data = bytes(log["data"])
            words = [int.from_bytes(data[i : i + 32], "big") for i in (0, 32, 64)]
            out.append((str(log["address"]), words[0], words[1], words[2]))
    return out


def describe_failure(emitter: str, error: int, info: int, detail: int, comptroller: str) -> str:
    if emitter.lower() == comptroller.lower():
        return f"comptroller Failure {error_name(error, COMPTROLLER_ERRORS)} (info {info})"
    text = f"vToken {emitter} Failure {error_name(error, TOKEN_ERRORS)} (info {info}"
    if error == TOKEN_ERRORS.index("COMPTROLLER_REJECTION"):
        text += f", comptroller says {error_name(detail, COMPTROLLER_ERRORS)}"
    return text + ")"

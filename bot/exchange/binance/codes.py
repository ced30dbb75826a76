"""Binance error codes the adapter acts on, and what each one means for the caller.

Codes and messages follow the USD-M error-code page (COIN-M shares the catalogue).
"""

from __future__ import annotations

from enum import IntEnum


class BinanceErrorCode(IntEnum):
    UNKNOWN = -1000
    INTERNAL_ERROR = -1001  # failed; safe to resend
    TOO_MANY_REQUESTS = -1003
    UNEXPECTED_RESPONSE = -1006  # execution status unknown
    TIMEOUT = -1007  # execution status unknown
    THROTTLED = -1008
    INVALID_MESSAGE = -1013
    TOO_MANY_ORDERS = -1015
    TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021
    INVALID_SIGNATURE = -1022
    PRECISION_OVER_MAXIMUM = -1111
    UNKNOWN_ORDER_SENT = -2011
    NO_SUCH_ORDER = -2013
    BALANCE_INSUFFICIENT = -2018
    MARGIN_INSUFFICIENT = -2019
    REDUCE_ONLY_REJECT = -2022
    QUANTITY_LESS_THAN_ZERO = -4003
    QTY_LESS_THAN_MIN_QTY = -4004
    QTY_GREATER_THAN_MAX_QTY = -4005
    STEP_SIZE_INVALID = -4023
    NO_NEED_TO_CHANGE_MARGIN_TYPE = -4046
    NO_NEED_TO_CHANGE_POSITION_SIDE = -4059
    CLIENT_ORDER_ID_DUPLICATED = -4116
    MIN_NOTIONAL = -4164
    MULTI_ASSETS_ALREADY_SET = -4171
    ME_RECV_WINDOW_REJECT = -5028


# A new order that failed with one of these may have reached the matching engine.
UNKNOWN_EXECUTION_CODES = frozenset(
    {BinanceErrorCode.UNEXPECTED_RESPONSE, BinanceErrorCode.TIMEOUT, BinanceErrorCode.UNKNOWN}
)

# The "nothing to change" answers of idempotent settings calls.
NO_CHANGE_CODES = frozenset(
    {
        BinanceErrorCode.NO_NEED_TO_CHANGE_MARGIN_TYPE,
        BinanceErrorCode.NO_NEED_TO_CHANGE_POSITION_SIDE,
        BinanceErrorCode.MULTI_ASSETS_ALREADY_SET,
    }
)

CLOCK_CODES = frozenset(
    {BinanceErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW, BinanceErrorCode.ME_RECV_WINDOW_REJECT}
)

# 503 with this body: the request reached the engine and its outcome is unknown.
UNKNOWN_ERROR_503_MESSAGE = "Unknown error, please check your request or try again later."

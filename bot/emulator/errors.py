"""Binance error catalogue as the emulator returns it (HTTP status + JSON body)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiError(Exception):
    """A Binance-style rejection: ``{"code": code, "msg": msg}`` with an HTTP status."""

    status: int
    code: int
    msg: str

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def bad(code: int, msg: str) -> ApiError:
    return ApiError(400, code, msg)


def mandatory(name: str) -> ApiError:
    return bad(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def not_required(name: str) -> ApiError:
    return bad(-1106, f"Parameter '{name}' sent when not required.")


def invalid_value(name: str) -> ApiError:
    return bad(-1130, f"Data sent for parameter '{name}' is not valid.")


UNKNOWN_ERROR = ApiError(500, -1000, "An unknown error occured while processing the request.")
BAD_SIGNATURE = bad(-1022, "Signature for this request is not valid.")
TS_OUTSIDE = bad(-1021, "Timestamp for this request is outside of the recvWindow.")
TS_AHEAD = bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
RECV_WINDOW_TOO_BIG = bad(-1131, "recvWindow must be less than 60000.")
KEY_FORMAT = ApiError(401, -2014, "API-key format invalid.")
INVALID_SYMBOL = bad(-1121, "Invalid symbol.")
INVALID_ORDER_TYPE = bad(-1116, "Invalid orderType.")
INVALID_SIDE = bad(-1117, "Invalid side.")
INVALID_TIF = bad(-1115, "Invalid timeInForce.")
PRECISION = bad(-1111, "Precision is over the maximum defined for this asset.")
UNKNOWN_ORDER = bad(-2011, "Unknown order sent.")
NO_SUCH_ORDER = bad(-2013, "Order does not exist.")
MARGIN_INSUFFICIENT = bad(-2019, "Margin is insufficient.")
WOULD_TRIGGER = bad(-2021, "Order would immediately trigger.")
REDUCE_ONLY_REJECTED = bad(-2022, "ReduceOnly Order is rejected.")
MAX_POSITION = bad(-2027, "Exceeded the maximum allowable position at current leverage.")
QTY_NOT_POSITIVE = bad(-4003, "Quantity less than or equal to zero.")
QTY_BELOW_MIN = bad(-4004, "Quantity less than min quantity.")
QTY_ABOVE_MAX = bad(-4005, "Quantity greater than max quantity.")
PRICE_BELOW_MIN = bad(-4013, "Price less than min price.")
PRICE_ABOVE_MAX = bad(-4002, "Price greater than max price.")
PRICE_TICK = bad(-4014, "Price not increased by tick size.")
CLIENT_ID_INVALID = bad(-4015, "Client order id is not valid.")
PRICE_ABOVE_CAP = bad(-4016, "Price is higher than mark price multiplier cap.")
QTY_STEP = bad(-4023, "Qty not increased by step size.")
PRICE_BELOW_FLOOR = bad(-4024, "Price is lower than mark price multiplier floor.")
MARGIN_TYPE_SAME = bad(-4046, "No need to change margin type.")
MARGIN_TYPE_OPEN_ORDERS = bad(-4047, "Margin type cannot be changed if there exists open orders.")
MARGIN_TYPE_POSITION = bad(-4048, "Margin type cannot be changed if there exists position.")
POSITION_SIDE_SAME = bad(-4059, "No need to change position side.")
POSITION_SIDE_MISMATCH = bad(-4061, "Order's position side does not match user's setting.")
POSITION_SIDE_OPEN_ORDERS = bad(
    -4067, "Position side cannot be changed if there exists open orders."
)
POSITION_SIDE_POSITION = bad(-4068, "Position side cannot be changed if there exists position.")
CLIENT_ID_DUPLICATED = bad(-4116, "clientOrderId is duplicated.")
ALGO_ONLY = bad(
    -4120,
    "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
)
QTY_WITH_CLOSE_POSITION = bad(-4137, "Quantity must be zero with closePosition equals true")
LEVERAGE_REDUCTION_ISOLATED = bad(
    -4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions"
)
MULTI_ASSETS_ISOLATED_EXISTS = bad(
    -4167,
    "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under "
    "isolated-margin mode.",
)
ISOLATED_IN_MULTI_ASSETS = bad(
    -4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode."
)
MULTI_ASSETS_OPEN_ORDERS = bad(
    -4170, "Unable to adjust Multi-Assets Mode when there are open orders in USDⓈ-M Futures."
)
MULTI_ASSETS_SAME = bad(
    -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."
)
FOK_REJECTED = bad(
    -5021, "Due to the order could not be filled immediately, the FOK order has been rejected."
)
GTX_REJECTED = bad(
    -5022,
    "Due to the order could not be executed as maker, the Post Only order will be rejected.",
)


# Wallet (SAPI) codes, reference §1.10. Each is HTTP 400 like the other validation errors.
ASSET_NOT_ENOUGH = bad(-5002, "You have insufficient balance.")
WITHDRAW_ASSET_NOT_EXIST = bad(-4018, "We don't have this asset.")
WITHDRAW_ASSET_PROHIBIT = bad(-4019, "Current asset is not open for withdrawal.")
WITHDRAW_MAX_AMOUNT = bad(-4023, "Within 24 hours, the withdrawal exceeds the maximum amount.")
WITHDRAW_NOT_ENOUGH = bad(-4026, "You have insufficient balance.")
WITHDRAW_MORE_THAN_FEE = bad(-4028, "The amount of withdrawal must be greater than the Commission.")
WITHDRAW_ILLEGAL_ADDRESS = bad(-4033, "Illegal address.")
WITHDRAW_NOT_WHITE_ADDRESS = bad(
    -4035, "This address is not on the whitelist. Please join and try again."
)
TAG_NOT_SUPPORTED = bad(-4106, "Tag is not supported for this network.")


def withdraw_multiple(coin: str, multiple: str) -> ApiError:
    # Binance's template is "Asset withdrawal must be an %s multiple of %s."
    return bad(-4021, f"Asset withdrawal must be an {coin} multiple of {multiple}.")


def withdraw_min(minimum: str) -> ApiError:
    return bad(-4022, f"Not less than the minimum pick-up quantity {minimum}.")


def date_interval(days: int) -> ApiError:
    return bad(-4047, f"Time interval must be within 0-{days} days")


def sapi_too_much_weight(limit: int) -> ApiError:
    return ApiError(
        429,
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    )


def invalid_key(ip: str) -> ApiError:
    return ApiError(401, -2015, f"Invalid API-key, IP, or permissions for action, request ip: {ip}")


def invalid_leverage(value: str) -> ApiError:
    return bad(-4028, f"Leverage {value} is not valid")


def min_notional(notional: str) -> ApiError:
    return bad(
        -4164,
        f"Order's notional must be no smaller than {notional} (unless you choose reduce only).",
    )


def too_many_requests(limit: int) -> ApiError:
    return ApiError(
        429,
        -1003,
        f"Too many requests; current limit is {limit} requests per minute. Please use the "
        "websocket for live updates to avoid polling the API.",
    )


def banned(until_ms: int) -> ApiError:
    return ApiError(
        418,
        -1003,
        f"Way too many requests; IP banned until {until_ms}. Please use the websocket for live "
        "updates to avoid bans.",
    )


def too_many_orders(limit: int, interval: str) -> ApiError:
    return ApiError(
        429, -1015, f"Too many new orders; current limit is {limit} orders per {interval}."
    )

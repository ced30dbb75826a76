"""Exchange errors, named for what the caller should do next.

ExchangeError
 ├── TransientExchangeError   retry with backoff (timeouts, 5xx with a known outcome)
 │    ├── UnknownOrderState   the order may or may not exist: look it up by client order id
 │    └── UnknownTransferState  a transfer or withdrawal may or may not exist: look it up
 ├── RateLimited              429: wait ``retry_after_secs`` then retry
 │    └── IpBanned            418: stop every request until ``retry_after_secs`` has passed
 ├── ClockSkew                -1021: re-measure the server time offset, then retry
 ├── OrderRejected            the venue refused it for a reason that retrying won't fix
 └── AccountSetupError        the account cannot be put into the state the config asks for

Adapters translate venue errors into these at the boundary (``raise ... from exc``).
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Base of every error an ``Exchange`` raises."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientExchangeError(ExchangeError):
    """A request failed in a way that a later retry may fix."""


class UnknownOrderState(TransientExchangeError):
    """A new-order request failed without telling whether the order was placed."""

    def __init__(self, message: str, *, client_order_id: str, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.client_order_id = client_order_id


class UnknownTransferState(TransientExchangeError):
    """A request that moves money (a transfer, a withdrawal) failed without telling whether
    it was done: look it up (withdrawals by their client id) before anything else."""

    def __init__(self, message: str, *, client_id: str, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.client_id = client_id


class RateLimited(ExchangeError):
    """HTTP 429: the request weight or order-count limit was exceeded."""

    def __init__(self, message: str, *, retry_after_secs: float, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_secs = retry_after_secs


class IpBanned(RateLimited):
    """HTTP 418: the IP is banned; every request must stop until the ban ends."""


class ClockSkew(ExchangeError):
    """-1021: the request timestamp was outside the server's recvWindow."""


class OrderRejected(ExchangeError):
    """The venue refused the request (filters, reduce-only, margin...). Do not retry as is."""


class AccountSetupError(ExchangeError):
    """The account cannot be set up as configured (hedge mode, no BNB margin, ...)."""

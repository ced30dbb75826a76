"""Who may see the dashboard: anyone on this machine when it is bound to a loopback address and
no token is set; otherwise only a request carrying the token (``Authorization: Bearer``, the
cookie the page sets, or ``?token=`` once in the address bar). /metrics and /healthz are not
behind it: Prometheus and Docker's health check reach them as before."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

COOKIE = "hedgebot_dashboard"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRule:
    """``token`` None on a non-loopback host: the dashboard answers 401 to everyone."""

    host: str
    token: str | None

    def __repr__(self) -> str:
        return f"TokenRule(host={self.host!r}, token={'***' if self.token else None})"

    @property
    def open_to_all(self) -> bool:
        return self.token is None and is_loopback(self.host)

    def presented(
        self, headers: Mapping[str, str], cookies: Mapping[str, str], query: Mapping[str, str]
    ) -> str | None:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return cookies.get(COOKIE) or query.get("token")

    def allows(self, presented: str | None) -> bool:
        if self.open_to_all:
            return True
        if self.token is None or presented is None:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())

    def refusal(self) -> str:
        if self.token is None:
            return (
                f"the dashboard is bound to {self.host}, beyond this machine: it needs a token "
                "(set the variable metrics.dashboard_token_env names, or its _FILE form)"
            )
        return "a dashboard token is required: open the page with ?token=<token> once"

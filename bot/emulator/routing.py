"""Endpoint registry: (method, path) → handler, security, weight, order counting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.emulator.exchange import Exchange
from bot.emulator.markets import Venue
from bot.emulator.orders import OrderContext
from bot.emulator.params import Params
from bot.emulator.state import Account, VenueAccount


@dataclass(kw_only=True)
class Call:
    ex: Exchange
    venue: Venue
    params: Params
    api_key: str | None
    now: int  # market clock, ms
    partial_ratio: Decimal | None = None

    @property
    def account(self) -> Account:
        assert self.api_key is not None, "handler of a signed endpoint needs the api key"
        return self.ex.state.accounts[self.api_key]

    @property
    def venue_account(self) -> VenueAccount:
        return self.account.venue(self.venue)

    def ctx(self) -> OrderContext:
        return OrderContext(
            state=self.ex.state,
            account=self.account,
            venue=self.venue,
            now=self.now,
            partial_ratio=self.partial_ratio,
            allow_stop_orders=self.venue == "coinm" and self.ex.config.allow_coinm_stop_orders,
        )


Handler = Callable[[Call], Any]
Weight = int | Callable[[Params], int]


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    handler: Handler
    signed: bool
    weight: Weight
    order: bool = False
    mutates: bool = False
    keyed: bool = False  # MARKET_DATA security: key required, no signature
    uid: bool = False  # SAPI weight counted per account (UID), not per IP

    def weight_for(self, params: Params) -> int:
        return self.weight(params) if callable(self.weight) else self.weight


ROUTES: dict[tuple[str, str], Endpoint] = {}


def route(
    method: str,
    *paths: str,
    signed: bool = False,
    weight: Weight = 1,
    order: bool = False,
    mutates: bool = False,
    uid: bool = False,
    keyed: bool = False,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for path in paths:
            ROUTES[(method, path)] = Endpoint(
                handler=handler,
                signed=signed,
                weight=weight,
                order=order,
                mutates=mutates or method != "GET",
                uid=uid,
                keyed=keyed,
            )
        return handler

    return register


def with_symbol(light: int, heavy: int) -> Callable[[Params], int]:
    return lambda params: light if params.has("symbol") else heavy


def venue_of(path: str) -> Venue:
    return "coinm" if path.startswith("/dapi/") else "usdm"

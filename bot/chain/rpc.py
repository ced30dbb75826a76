"""Several JSON-RPC endpoints for one chain: failover, per-endpoint health, timeouts, retries.

Every endpoint is checked to serve the configured chain id before it is used, so a mistyped URL
can never feed another chain's state into a trade. Requests are counted (per endpoint and in
total) so tests and benchmarks can hold the reader to its "one call per cycle" budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3Exception
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from bot.redact import redact_url, scrub

log = logging.getLogger(__name__)
T = TypeVar("T")

# Chains whose headers carry validator signatures in extraData (web3 needs the POA middleware).
POA_CHAIN_IDS = frozenset({56, 97})


class ChainError(RuntimeError):
    """Base of the chain reader's errors."""


class ChainIdMismatch(ChainError):
    """An RPC endpoint serves another chain than the configured one: never trade on it."""

    def __init__(self, url: str, expected: int, actual: int) -> None:
        super().__init__(
            f"RPC endpoint {url} serves chain id {actual}, but the config says chain id "
            f"{expected}: fix `rpc_urls` or `chain_id` (refusing to read or trade)"
        )
        self.url, self.expected, self.actual = url, expected, actual


class RpcUnavailable(ChainError):
    """No endpoint answered within the retries."""


@dataclass(slots=True)
class EndpointHealth:
    url: str
    healthy: bool = True
    chain_verified: bool = False
    requests: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_error: str = ""
    last_latency_secs: float = 0.0
    retry_after: float = 0.0  # monotonic time before which a failed endpoint is skipped


class _CountingHTTPProvider(HTTPProvider):
    def __init__(self, url: str, timeout_secs: float, health: EndpointHealth) -> None:
        # web3's own retries are off: failover and backoff are decided here, across endpoints.
        super().__init__(
            url, request_kwargs={"timeout": timeout_secs}, exception_retry_configuration=None
        )
        self._health = health

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self._health.requests += 1
        return super().make_request(method, params)


class _PoolProvider(JSONBaseProvider):
    """A web3 provider that sends every request through an ``RpcPool``: failover, cooldown
    and chain-id checks for code that talks to web3 directly (the transaction manager)."""

    def __init__(self, pool: RpcPool) -> None:
        super().__init__()
        self._pool = pool

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        def send(w3: Web3) -> RPCResponse:
            return w3.provider.make_request(method, params)

        return self._pool.call(str(method), send)

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


class RpcPool:
    """``pool.call("what", lambda w3: w3.eth.block_number)`` on the first healthy endpoint."""

    def __init__(
        self,
        urls: Sequence[str],
        chain_id: int,
        *,
        timeout_secs: float = 10.0,
        retries: int = 2,
        backoff_secs: float = 0.25,
        cooldown_secs: float = 30.0,
        poa: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("rpc_urls is empty: give at least one RPC endpoint")
        self.chain_id = chain_id
        self._retries = retries
        self._backoff_secs = backoff_secs
        self._cooldown_secs = cooldown_secs
        self._sleep = sleep
        self._clock = clock
        use_poa = chain_id in POA_CHAIN_IDS if poa is None else poa
        self._poa = use_poa
        self._endpoints: list[tuple[EndpointHealth, Web3]] = []
        for url in urls:
            health = EndpointHealth(url=url)
            # no default middleware: its validation step asks eth_chainId before every eth_call,
            # tripling the requests; the chain id is checked once per endpoint here instead
            w3 = Web3(_CountingHTTPProvider(url, timeout_secs, health), middleware=[])
            if use_poa:
                w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
            self._endpoints.append((health, w3))

    def web3(self) -> Web3:
        """A ``Web3`` whose every request fails over across this pool's endpoints."""
        w3 = Web3(_PoolProvider(self), middleware=[])
        if self._poa:
            w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return w3

    @property
    def request_count(self) -> int:
        return sum(h.requests for h, _ in self._endpoints)

    def health(self) -> tuple[EndpointHealth, ...]:
        return tuple(
            EndpointHealth(**{k: getattr(h, k) for k in h.__slots__}) for h, _ in self._endpoints
        )

    def check_chain_ids(self) -> None:
        """Verify every reachable endpoint; raise ``ChainIdMismatch`` on the first wrong one and
        ``RpcUnavailable`` if none answers."""
        reachable = 0
        for health, w3 in self._endpoints:
            try:
                self._verify(health, w3)
                reachable += 1
            except ChainIdMismatch:
                raise
            except (requests.RequestException, Web3Exception, OSError) as e:
                self._mark_failed(health, e)
                # A dead failover endpoint is no failover: say so at start, not in a crisis.
                log.warning(
                    "rpc endpoint %s does not answer at start: %s",
                    redact_url(health.url),
                    health.last_error,
                )
        if reachable == 0:
            raise RpcUnavailable(self._summary("no RPC endpoint answered eth_chainId"))

    def call(self, what: str, fn: Callable[[Web3], T]) -> T:
        """Run ``fn`` against endpoints in order (healthy first), with backoff between rounds.
        A contract revert is the answer, not an endpoint fault, and is raised at once."""
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(self._backoff_secs * 2 ** (attempt - 1))
            for health, w3 in self._ordered():
                try:
                    self._verify(health, w3)
                    started = self._clock()
                    result = fn(w3)
                except ChainIdMismatch:
                    raise
                except ContractLogicError:
                    raise
                except (requests.RequestException, Web3Exception, OSError, ValueError) as e:
                    self._mark_failed(health, e)
                    log.warning(
                        "rpc %s failed on %s: %s", what, redact_url(health.url), health.last_error
                    )
                    continue
                health.last_latency_secs = self._clock() - started
                if not health.healthy:
                    log.info("rpc endpoint %s is back", redact_url(health.url))
                health.healthy, health.consecutive_failures = True, 0
                return result
        raise RpcUnavailable(self._summary(f"{what}: every RPC endpoint failed"))

    def _ordered(self) -> list[tuple[EndpointHealth, Web3]]:
        now = self._clock()
        ready = [e for e in self._endpoints if e[0].healthy or e[0].retry_after <= now]
        waiting = [e for e in self._endpoints if e not in ready]
        # a round with only cooling-down endpoints still tries them rather than giving up
        return ready + waiting

    def _verify(self, health: EndpointHealth, w3: Web3) -> None:
        if health.chain_verified:
            return
        actual = int(w3.eth.chain_id)
        if actual != self.chain_id:
            health.healthy = False
            health.last_error = f"chain id {actual} != {self.chain_id}"
            raise ChainIdMismatch(redact_url(health.url), self.chain_id, actual)
        health.chain_verified = True

    def _mark_failed(self, health: EndpointHealth, error: BaseException) -> None:
        health.healthy = False
        health.failures += 1
        health.consecutive_failures += 1
        # scrubbed before the cut, so a credential cannot survive half-masked at the end
        health.last_error = scrub(f"{type(error).__name__}: {error}", [health.url])[:300]
        health.retry_after = self._clock() + self._cooldown_secs

    def _summary(self, headline: str) -> str:
        parts = [f"{redact_url(h.url)}: {h.last_error or 'not tried'}" for h, _ in self._endpoints]
        return f"{headline} ({'; '.join(parts)})"

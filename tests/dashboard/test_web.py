"""Who sees the dashboard (httpx against the ASGI app): open on loopback without a token; with
a token, or beyond loopback, only requests carrying it; /metrics and /healthz stay open."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.dashboard.auth import COOKIE, TokenRule
from bot.dashboard.web import build_app
from bot.metrics import HealthTracker, HedgebotMetrics

TOKEN = "s3cret-dashboard-token"
ANY_HOST = "0.0.0.0"  # noqa: S104 - the rule for a dashboard bound to every interface


class FixedModel:
    refresh_secs = 0.01

    def __init__(self) -> None:
        self.reads = 0

    def current(self) -> dict[str, Any]:
        self.reads += 1
        return {"positions": [{"position": "main", "oracle_hf": "1.5"}]}


def _app(host: str, token: str | None) -> Starlette:
    return build_app(
        metrics=HedgebotMetrics(),
        health=HealthTracker(max_missed=3),
        source=FixedModel(),
        rule=TokenRule(host=host, token=token),
    )


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hedgebot")


@pytest.mark.anyio
async def test_loopback_without_a_token_is_open() -> None:
    async with _client(_app("127.0.0.1", None)) as client:
        page = await client.get("/")
        model = await client.get("/api/model")
        chart = await client.get("/static/chart.umd.min.js")

    assert page.status_code == 200
    assert "hedgebot" in page.text
    assert model.json()["positions"][0]["oracle_hf"] == "1.5"
    assert chart.status_code == 200
    assert chart.text.startswith("/*!\n * Chart.js")  # vendored, with its licence header


@pytest.mark.anyio
@pytest.mark.parametrize("host", [ANY_HOST, "192.168.1.20", "hedgebot.internal"])
async def test_beyond_loopback_without_a_token_set_everyone_gets_401(host: str) -> None:
    async with _client(_app(host, None)) as client:
        for path in ("/", "/api/model", "/api/events", "/static/dashboard.js"):
            response = await client.get(path, params={"token": "guess"})
            assert response.status_code == 401, path
            assert "needs a token" in response.json()["error"]
        # Prometheus and Docker's health check are not behind it.
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize("host", [ANY_HOST, "127.0.0.1"])
async def test_with_a_token_only_requests_carrying_it_are_served(host: str) -> None:
    async with _client(_app(host, TOKEN)) as client:
        missing = await client.get("/api/model")
        wrong = await client.get("/api/model", headers={"Authorization": "Bearer nope"})
        bearer = await client.get("/api/model", headers={"Authorization": f"Bearer {TOKEN}"})
        assert (await client.get("/metrics")).status_code == 200

    assert missing.status_code == 401
    assert TOKEN not in missing.text
    assert wrong.status_code == 401
    assert bearer.status_code == 200


@pytest.mark.anyio
async def test_the_token_in_the_address_sets_a_cookie_the_pages_requests_carry() -> None:
    async with _client(_app(ANY_HOST, TOKEN)) as client:
        page = await client.get("/", params={"token": TOKEN})
        assert page.status_code == 200
        cookie = page.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower()
        # The client keeps the cookie: the page's own fetches need no token in the address.
        assert (await client.get("/api/model")).status_code == 200


def test_the_rules_repr_never_shows_the_token() -> None:
    assert TOKEN not in repr(TokenRule(host=ANY_HOST, token=TOKEN))


@pytest.mark.anyio
async def test_unknown_static_files_and_paths_are_404() -> None:
    async with _client(_app("127.0.0.1", None)) as client:
        assert (await client.get("/static/../web.py")).status_code == 404
        assert (await client.get("/static/index.html.bak")).status_code == 404
        assert (await client.get("/admin")).json() == {"error": "no such path: /admin"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

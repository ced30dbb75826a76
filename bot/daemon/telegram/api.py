"""The two Bot API methods the listener needs, over httpx. The token sits in the URL path: it
is kept out of ``repr`` and out of every error this module raises."""

from __future__ import annotations

from typing import Any

import httpx

from bot.alerts.sinks import retry_after_seconds
from bot.redact import MASK

DEFAULT_API_BASE = "https://api.telegram.org"


class TelegramApiError(RuntimeError):
    """A Bot API call failed (network, HTTP status or ``ok: false``); never quotes the token.
    ``retry_after_secs``: how long Telegram asked to wait (429), when it said."""

    def __init__(self, message: str, *, retry_after_secs: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_secs = retry_after_secs


def bot_id(token: str) -> str:
    """The token's public part: the bot's user id, before the colon."""
    return token.split(":", 1)[0]


class BotApi:
    def __init__(
        self,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        poll_timeout_secs: int = 10,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._token = token
        self._base = f"{api_base.rstrip('/')}/bot{token}"
        self._poll_timeout = poll_timeout_secs
        # The read timeout outlasts the long poll, which Telegram holds open that long.
        timeout = httpx.Timeout(10.0, read=poll_timeout_secs + 10.0)
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"BotApi(bot_id={bot_id(self._token)!r})"

    def close(self) -> None:
        self._client.close()

    def get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """Updates after ``offset - 1``, waiting up to the poll timeout for one to arrive.
        Asking from ``offset`` confirms every earlier update to Telegram."""
        payload: dict[str, Any] = {"timeout": self._poll_timeout, "allowed_updates": ["message"]}
        if offset is not None:
            payload["offset"] = offset
        result = self._call("getUpdates", payload)
        if not isinstance(result, list):
            raise TelegramApiError("getUpdates: the result is not a list")
        return [u for u in result if isinstance(u, dict)]

    def send_message(self, chat_id: int, text: str) -> None:
        payload = {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
        self._call("sendMessage", payload)

    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        try:
            response = self._client.post(f"{self._base}/{method}", json=payload)
        except httpx.HTTPError as exc:
            raise TelegramApiError(f"{method}: {self._masked(exc)}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        description = body.get("description", "") if isinstance(body, dict) else ""
        raise TelegramApiError(
            f"{method}: HTTP {response.status_code} {self._masked(description)}".rstrip(),
            retry_after_secs=retry_after_seconds(response),
        )

    def _masked(self, detail: object) -> str:
        # httpx's messages may quote the URL, and with it the token.
        text = str(detail)
        if isinstance(detail, Exception):
            text = f"{type(detail).__name__}: {text}"
        return text.replace(self._token, MASK)

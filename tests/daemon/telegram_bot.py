"""A Telegram Bot API stand-in for the command listener's tests: respx routes answering
``getUpdates`` from a queue of recorded-shape updates and keeping every ``sendMessage``."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import httpx
import respx

TOKEN = "7000000001:CanaryTgTok5x"  # short: only the listener's own care can keep it out
API = f"https://api.telegram.org/bot{TOKEN}"
ALLOWED_CHAT = 424242
OTHER_CHAT = 999001


def text_update(
    update_id: int, text: str, *, chat_id: int = ALLOWED_CHAT, date: int
) -> dict[str, Any]:
    """An update as the Bot API sends it for a private chat's text message."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Op", "username": "op"},
            "chat": {"id": chat_id, "first_name": "Op", "username": "op", "type": "private"},
            "date": date,
            "text": text,
        },
    }


class FakeBot:
    def __init__(self) -> None:
        self.router = respx.MockRouter(assert_all_called=False)
        self.batches: deque[list[dict[str, Any]]] = deque()
        self.offsets: list[int | None] = []
        self.sent: list[dict[str, Any]] = []
        self.router.post(f"{API}/getUpdates").mock(side_effect=self._updates)
        self.router.post(f"{API}/sendMessage").mock(side_effect=self._send)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.router.handler)

    def queue(self, *updates: dict[str, Any]) -> None:
        self.batches.append(list(updates))

    def replies(self, chat_id: int = ALLOWED_CHAT) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    def _updates(self, request: httpx.Request) -> httpx.Response:
        self.offsets.append(json.loads(request.content).get("offset"))
        result = self.batches.popleft() if self.batches else []
        return httpx.Response(200, json={"ok": True, "result": result})

    def _send(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.sent.append(body)
        message = {
            "message_id": len(self.sent),
            "chat": {"id": body["chat_id"]},
            "text": body["text"],
        }
        return httpx.Response(200, json={"ok": True, "result": message})

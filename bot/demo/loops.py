"""The daemon's two loops as the demo shows them, read from the daemon's own ``/metrics`` (its
address is in the daemon's first log lines). The last good reading is kept for the summary,
which is written after the daemon has stopped.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.watch.loops import NOT_YET, LoopsReading, scrape


class LoopsWatch:
    def __init__(self, log_path: Path, position: str) -> None:
        self._log_path = log_path
        self._position = position
        self._url: str | None = None
        self.latest = NOT_YET

    def poll(self) -> LoopsReading:
        """Scrape the daemon's metrics once; on any failure keep the previous reading."""
        url = self._url or self._find_url()
        if url is None:
            return self.latest
        self.latest = scrape(url, self._position) or self.latest
        return self.latest

    def _find_url(self) -> str | None:
        if not self._log_path.exists():
            return None
        for line in self._log_path.read_text(errors="replace").splitlines():
            if '"metrics"' not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "metrics":
                self._url = str(event["url"])
        return self._url


__all__ = ["LoopsWatch"]

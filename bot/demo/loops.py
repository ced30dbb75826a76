"""The daemon's two loops as the demo shows them: one row for the guard, one for the hedger.

Read from the daemon's own ``/metrics`` (its address is in the daemon's first log lines), so
the demo shows what an operator's Prometheus would: the guard's state and reads, its repays,
the hedger's cycles and pause flag. The last good reading is kept for the summary, which is
written after the daemon has stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopRow:
    loop: str  # "guard" or "hedger"
    state: str
    runs: int  # guard reads / hedger cycles that completed
    failed: int
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopsReading:
    guard: LoopRow
    hedger: LoopRow

    @property
    def rows(self) -> tuple[LoopRow, LoopRow]:
        return self.guard, self.hedger

    def as_json(self) -> dict[str, dict[str, object]]:
        return {
            r.loop: {"state": r.state, "runs": r.runs, "failed": r.failed, "detail": r.detail}
            for r in self.rows
        }


NOT_YET = LoopsReading(
    guard=LoopRow(loop="guard", state="starting", runs=0, failed=0, detail=""),
    hedger=LoopRow(loop="hedger", state="starting", runs=0, failed=0, detail=""),
)


def reading_from(text: str, position: str) -> LoopsReading:
    """Both rows from a Prometheus text exposition of the daemon's metrics."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("position", position) == position:
                samples.setdefault(s.name, []).append((s.labels, s.value))

    def total(name: str, **match: str) -> int:
        rows = samples.get(name, [])
        return int(
            sum(v for labels, v in rows if all(labels.get(k) == w for k, w in match.items()))
        )

    guard_state = next(
        (labels["state"] for labels, v in samples.get("hedgebot_guard_state", []) if v == 1),
        "starting",
    )
    reads = total("hedgebot_guard_ticks_total") - total(
        "hedgebot_guard_ticks_total", verdict="failed"
    )
    repays = total("hedgebot_guard_transactions_total", kind="repay", status="mined")
    paused = total("hedgebot_paused") == 1
    ok = total("hedgebot_cycles_total", outcome="ok")
    skipped = total("hedgebot_cycles_total", outcome="skipped")
    return LoopsReading(
        guard=LoopRow(
            loop="guard",
            state=guard_state,
            runs=reads,
            failed=total("hedgebot_guard_ticks_total", verdict="failed"),
            detail=f"{repays} repay(s) mined",
        ),
        hedger=LoopRow(
            loop="hedger",
            state="paused" if paused else "running",
            runs=ok + skipped,
            failed=total("hedgebot_cycles_total", outcome="failed"),
            detail=f"{ok} cycles ok, {skipped} skipped, "
            f"{total('hedgebot_orders_total', status='FILLED')} orders filled",
        ),
    )


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
        try:
            text = httpx.get(url, timeout=1.0).text
        except httpx.HTTPError:
            return self.latest
        self.latest = reading_from(text, self._position)
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


__all__ = ["NOT_YET", "LoopRow", "LoopsReading", "LoopsWatch", "reading_from"]

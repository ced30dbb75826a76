"""The daemon's two loops as its ``/metrics`` shows them: one row for the guard, one for the
hedger (the guard's state and reads, its repays, the hedger's cycles and pause flag), as an
operator's Prometheus would see them."""

from __future__ import annotations

from dataclasses import dataclass

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


def scrape(url: str, position: str, *, timeout_secs: float = 1.0) -> LoopsReading | None:
    """One reading of the daemon's metrics at ``url``; None when the daemon does not answer."""
    try:
        response = httpx.get(url, timeout=timeout_secs)
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    return reading_from(response.text, position)


__all__ = ["NOT_YET", "LoopRow", "LoopsReading", "reading_from", "scrape"]

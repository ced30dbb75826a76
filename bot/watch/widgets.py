"""Rich pieces both live views draw with (``hedgebot watch`` and the demo): a health factor
coloured against the repay trigger, and the daemon's two loops."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table
from rich.text import Text

from bot.watch.loops import LoopsReading


def hf_text(hf: Decimal, trigger: Decimal | None) -> Text:
    if not hf.is_finite():
        return Text("inf", style="green")
    style = "green"
    if hf < 1:
        style = "bold white on red"
    elif trigger is not None and hf < trigger:
        style = "bold yellow"
    return Text(f"{hf:.3f}", style=style)


LOOP_STYLE = {"running": "green", "starting": "dim", "paused": "yellow"}


def loops_table(reading: LoopsReading) -> Table:
    """The guard and the hedger, one row each: they run on their own, and the guard keeps
    protecting whatever happens to the hedger."""
    table = Table(expand=True, box=None, pad_edge=False)
    for col in ("loop", "state", "completed", "failed", ""):
        table.add_column(col, justify="right" if col in ("completed", "failed") else "left")
    for row in reading.rows:
        style = LOOP_STYLE.get(row.state, "bold red")
        table.add_row(
            row.loop, Text(row.state, style=style), str(row.runs), str(row.failed), row.detail
        )
    return table


__all__ = ["hf_text", "loops_table"]

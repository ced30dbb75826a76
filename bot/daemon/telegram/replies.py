"""The texts the bot answers with. Plain text (no parse mode): nothing to escape, and every
figure reads as ``hedgebot status`` prints it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.daemon.status_report import LoopsState, StatusReport

# Telegram's sendMessage limit.
TEXT_LIMIT = 4096

HELP = (
    "hedgebot commands:\n"
    "/status - each position: HF, hedge vs target, reserve need, guard and hedger state\n"
    "/pause [reason] - stop the hedger (the guard keeps repaying)\n"
    "/resume [reason] - restart the hedger\n"
    "/flatten - close every hedge reduce-only and pause the hedger (asks for a code first)\n"
    "/guard - the guard's state per position (stopping it stays a local command)\n"
    "/help - this list"
)

GUARD_IS_LOCAL = (
    "stopping or starting the guard stays a local command: "
    "hedgebot guard stop|start --config FILE --reason TEXT"
)


def fit(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def unknown(name: str) -> str:
    return f"unknown command /{name}\n\n{HELP}"


def _hf(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return "∞" if value.is_infinite() else f"{value:.4f}"


def _loops(loops: LoopsState) -> list[str]:
    hedger = f"hedger {loops.hedger}" + (f" ({loops.hedger_reason})" if loops.hedger_reason else "")
    return [f"guard {loops.guard}: {loops.guard_reason}", hedger]


def position_text(report: StatusReport) -> str:
    a, s = report.assessment, report.snapshot
    chain_hf = None if report.totals is None else report.totals.chain_hf
    lines = [
        f"{report.position} (block {s.block_number}, {report.mode} exchange)",
        f"HF oracle {_hf(a.oracle_hf)} shadow {_hf(a.shadow_hf)} chain {_hf(chain_hf)}",
    ]
    if s.stale_reason:
        lines.append(f"STALE: {s.stale_reason}")
    lines += [
        f"{u.symbol}: short ${u.current_short_usd:,.0f} / target ${u.target.short_usd:,.0f}"
        for u in a.underlyings
    ]
    lines += [
        f"account {report.account} {x.symbol}: short ${x.current_short_usd:,.0f} / "
        f"target ${x.target.short_usd:,.0f}"
        for x in report.lines
    ]
    r = report.reserve
    if r is not None:
        lines.append(f"reserve need ({report.reserve_basis}): {r.amount:,.2f} {r.symbol}")
    if report.reserve_warning:
        lines.append(f"warning: {report.reserve_warning}")
    return "\n".join([*lines, *_loops(report.loops)])


def status_text(reports: Sequence[StatusReport]) -> str:
    if not reports:
        return "no positions configured"
    return fit("\n\n".join(position_text(r) for r in reports))


def guard_text(states: Sequence[tuple[str, LoopsState]]) -> str:
    lines = [f"{name}: guard {s.guard} ({s.guard_reason})" for name, s in states]
    return fit("\n".join([*lines, GUARD_IS_LOCAL]))


def paused(actor: str, reason: str) -> str:
    return (
        f"hedger paused by {actor} ({reason}): no orders from its next cycle on. "
        "The guard keeps repaying from the reserve."
    )


def resumed(actor: str, reason: str) -> str:
    return (
        f"hedger resumed by {actor} ({reason}): it trades again from its next cycle. "
        "The guard was never paused."
    )


def flatten_asked(code: str, ttl_secs: float) -> str:
    return (
        "/flatten closes every hedge position reduce-only and pauses the hedger "
        "(the guard keeps repaying). To go ahead, send within "
        f"{ttl_secs:.0f} s:\n/flatten confirm {code}\nOtherwise nothing happens."
    )


def too_old(name: str, age_secs: float) -> str:
    return (
        f"/{name} was sent {age_secs:.0f} s ago, while hedgebot was not listening: "
        "not obeyed. Send it again if it still stands."
    )

"""Constructors for every alert the daemon sends, so titles, severities and dedupe keys are
consistent. HF alerts come from ``hysteresis.step_hf_alert``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.alerts.model import Alert, AlertKind, Severity
from bot.core.model import OrderReport

if TYPE_CHECKING:
    from bot.journal.records import PauseState


def _num(value: Decimal, places: int = 2) -> str:
    if value.is_infinite():
        return "∞"
    return f"{value:,.{places}f}"


def hedge_changed(
    *,
    position: str,
    underlying: str,
    from_short_usd: Decimal,
    to_short_usd: Decimal,
    reason: str,
    at: datetime | None = None,
) -> Alert:
    return Alert(
        kind=AlertKind.HEDGE_CHANGED,
        severity=Severity.INFO,
        title=(
            f"{position}: {underlying} hedge {_num(from_short_usd)} -> {_num(to_short_usd)} USD"
        ),
        text=reason,
        dedupe_key=f"hedge:{position}:{underlying}:{to_short_usd.normalize()}",
        fields=(
            ("underlying", underlying),
            ("short before (USD)", _num(from_short_usd)),
            ("short after (USD)", _num(to_short_usd)),
        ),
        at=at,
    )


def order_rejected(*, position: str, report: OrderReport, at: datetime | None = None) -> Alert:
    code = "" if report.error_code is None else f" ({report.error_code})"
    return Alert(
        kind=AlertKind.ORDER_REJECTED,
        severity=Severity.WARNING,
        title=f"{position}: {report.symbol} order rejected{code}",
        text=report.error_message or f"status {report.status.value}",
        dedupe_key=f"rejected:{position}:{report.symbol}:{report.error_code}",
        fields=(
            ("symbol", report.symbol),
            ("client order id", report.client_order_id),
            ("side", "" if report.side is None else report.side.value),
            ("quantity", str(report.quantity)),
        ),
        at=at,
    )


def liquidation_distance_low(
    *,
    position: str,
    symbol: str,
    distance: Decimal,
    floor: Decimal,
    liquidation_price: Decimal | None = None,
    at: datetime | None = None,
) -> Alert:
    """Futures side: the mark price is within ``distance`` (fraction) of liquidation."""
    at_price = () if liquidation_price is None else (("liquidation price", f"{liquidation_price}"),)
    return Alert(
        kind=AlertKind.LIQUIDATION_DISTANCE_LOW,
        severity=Severity.CRITICAL,
        title=f"{position}: {symbol} hedge {_num(distance * 100, 1)} % from liquidation",
        text=f"The futures position is closer to liquidation than the {_num(floor * 100, 1)} % "
        "floor; add margin or reduce the hedge.",
        dedupe_key=f"liq-distance:{position}:{symbol}",
        fields=(
            ("symbol", symbol),
            ("distance", f"{_num(distance * 100, 2)} %"),
            ("floor", f"{_num(floor * 100, 2)} %"),
            *at_price,
        ),
        at=at,
    )


def margin_call(
    *,
    account: str,
    positions: tuple[tuple[str, Decimal, Decimal], ...],
    cross_wallet: Decimal | None,
    at: datetime | None = None,
) -> Alert:
    """The venue's ``MARGIN_CALL``; ``positions``: (symbol, mark, maintenance margin)."""
    symbols = ", ".join(sorted({symbol for symbol, _, _ in positions})) or "?"
    wallet = () if cross_wallet is None else (("cross wallet", _num(cross_wallet, 8)),)
    return Alert(
        kind=AlertKind.MARGIN_CALL,
        severity=Severity.CRITICAL,
        title=f"{account}: margin call on {symbols}",
        text="The exchange warns that the margin ratio is high: liquidation is near. The hedge "
        "and the capital loops run now; add margin or reduce the hedge if they cannot.",
        dedupe_key=f"margin-call:{account}:{symbols}",
        fields=(
            *(
                (f"{symbol} mark / maintenance margin", f"{mark} / {maintenance}")
                for symbol, mark, maintenance in positions
            ),
            *wallet,
        ),
        at=at,
    )


def stale_data(
    *, position: str, reason: str, block_number: int | None = None, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.STALE_DATA,
        severity=Severity.WARNING,
        title=f"{position}: stale chain data, not trading",
        text=reason,
        dedupe_key=f"stale:{position}",
        fields=() if block_number is None else (("block", str(block_number)),),
        at=at,
    )


def exchange_banned(
    *, detail: str, until: datetime | None = None, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.EXCHANGE_BANNED,
        severity=Severity.CRITICAL,
        title="Binance banned this IP (HTTP 418)",
        text=detail,
        dedupe_key="exchange-ban",
        fields=() if until is None else (("banned until", until.isoformat()),),
        at=at,
    )


def daemon_started(
    *, version: str, positions: tuple[str, ...], mode: str, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.DAEMON_STARTED,
        severity=Severity.INFO,
        title=f"hedgebot {version} started ({mode})",
        text=f"Protecting {', '.join(positions) or 'no positions'}.",
        dedupe_key=f"started:{mode}",
        fields=(("mode", mode), ("positions", ", ".join(positions))),
        at=at,
    )


def daemon_stopped(*, reason: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.DAEMON_STOPPED,
        severity=Severity.WARNING,
        title="hedgebot stopped",
        text=reason,
        dedupe_key="stopped",
        at=at,
    )


def leadership_changed(
    *,
    replica: str,
    leads: bool,
    epoch: int | None,
    reason: str,
    paused: PauseState | None = None,
    at: datetime | None = None,
) -> Alert:
    """A replica sharing the journal started or stopped leading (acting). ``paused``: the
    shared journal's pause, which a new leader inherits (a breaker another replica tripped
    holds the hedger here too, until an operator resumes it)."""
    title = f"replica {replica} leads (epoch {epoch})" if leads else f"replica {replica} follows"
    fields = [("replica", replica), ("epoch", str(epoch or "-")), ("reason", reason)]
    if paused is not None and paused.paused:
        by = f" by {paused.actor}" if paused.actor else ""
        fields.append(("hedger", f"paused{by}: {paused.reason}; `hedgebot resume` resumes it"))
    return Alert(
        kind=AlertKind.LEADERSHIP,
        severity=Severity.WARNING,
        title=title,
        text=reason,
        dedupe_key=f"leadership:{replica}:{epoch}:{leads}",
        fields=tuple(fields),
        at=at,
    )


def repay_executed(
    *,
    position: str,
    amount: Decimal,
    asset: str,
    tx_hash: str,
    hf_before: Decimal,
    hf_after: Decimal | None = None,
    at: datetime | None = None,
) -> Alert:
    fields = [("amount", f"{amount} {asset}"), ("tx", tx_hash), ("HF before", _num(hf_before, 4))]
    if hf_after is not None:
        fields.append(("HF after", _num(hf_after, 4)))
    return Alert(
        kind=AlertKind.REPAY_EXECUTED,
        severity=Severity.WARNING,
        title=f"{position}: repaid {amount} {asset}",
        text="Debt repaid from the stablecoin reserve because the HF fell under the trigger.",
        dedupe_key=f"repay:{tx_hash}",
        fields=tuple(fields),
        at=at,
    )


def repay_failed(
    *, position: str, amount: Decimal, asset: str, error: str, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.REPAY_FAILED,
        severity=Severity.CRITICAL,
        title=f"{position}: repay of {amount} {asset} failed",
        text=error,
        dedupe_key=f"repay-failed:{position}",
        fields=(("amount", f"{amount} {asset}"),),
        at=at,
    )


def reserve_refill_needed(
    *,
    position: str,
    asset: str,
    balance: Decimal,
    minimum: Decimal,
    at: datetime | None = None,
) -> Alert:
    return Alert(
        kind=AlertKind.RESERVE_REFILL_NEEDED,
        severity=Severity.WARNING,
        title=f"{position}: repay reserve low ({balance} {asset})",
        text=f"Refill the reserve to at least {minimum} {asset}.",
        dedupe_key=f"reserve:{position}:{asset}",
        fields=(("balance", f"{balance} {asset}"), ("minimum", f"{minimum} {asset}")),
        at=at,
    )


def circuit_breaker_tripped(*, position: str, reason: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.CIRCUIT_BREAKER,
        severity=Severity.CRITICAL,
        title=f"{position}: circuit breaker tripped, trading paused",
        text=f"{reason}. Resume with `hedgebot resume` once the cause is fixed.",
        dedupe_key=f"breaker:{position}",
        at=at,
    )


def guard_switched(
    *, position: str, stopped: bool, actor: str, reason: str, at: datetime | None = None
) -> Alert:
    """The operator stopped or restarted a position's repay guard."""
    what = "STOPPED: no repay will be sent" if stopped else "running again"
    return Alert(
        kind=AlertKind.GUARD_STOPPED if stopped else AlertKind.GUARD_STARTED,
        severity=Severity.CRITICAL if stopped else Severity.WARNING,
        title=f"{position}: liquidation guard {what}",
        text=f"by {actor}: {reason}",
        dedupe_key=f"guard-switch:{position}:{stopped}:{reason}",
        fields=(("actor", actor), ("reason", reason)),
        at=at,
    )


def guard_stalled(
    *, position: str, seconds: float, blocks: int, error: str, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.GUARD_STALLED,
        severity=Severity.CRITICAL,
        title=f"{position}: the liquidation guard has read nothing for {blocks} blocks",
        text=f"No chain read completed in {seconds:.1f} s; last error: {error}",
        dedupe_key=f"guard-stalled:{position}",
        fields=(("seconds", f"{seconds:.1f}"), ("last error", error)),
        at=at,
    )


def protection_off(*, position: str, reason: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.PROTECTION_OFF,
        severity=Severity.WARNING,
        title=f"{position}: repay protection is OFF",
        text=reason,
        dedupe_key=f"protection-off:{position}",
        at=at,
    )


def unmapped_token(*, position: str, token: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.UNMAPPED_TOKEN,
        severity=Severity.WARNING,
        title=f"{position}: {token} is in the position but not in `tokens:`",
        text=(
            f"{token} is not hedged (the hedge covers the mapped tokens only); the guard counts "
            f"it at the Aave oracle's price. Add it under `tokens:` to hedge it."
        ),
        dedupe_key=f"unmapped:{position}:{token}",
        at=at,
    )


def position_mismatch(*, position: str, detail: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.POSITION_MISMATCH,
        severity=Severity.CRITICAL,
        title=f"{position}: the exchange's position reading disagrees with hedgebot's fills",
        text=(
            f"{detail}. Read twice; nothing is traded on it. If the position really changed "
            "(a manual trade, a liquidation), close or adopt it and restart hedgebot."
        ),
        dedupe_key=f"position-mismatch:{position}:{detail}",
        at=at,
    )


def journal_lost(*, position: str, detail: str, at: datetime | None = None) -> Alert:
    return Alert(
        kind=AlertKind.JOURNAL_LOST,
        severity=Severity.CRITICAL,
        title=f"{position}: the journal is gone or cannot be written: hedging halted",
        text=(
            f"{detail}. Orders are journaled before they are sent; without the journal "
            "nothing is traded. Restore the database (or free the disk) and restart hedgebot."
        ),
        dedupe_key=f"journal-lost:{position}",
        at=at,
    )


def paper_liquidated(
    *, account: str, symbol: str, quantity: Decimal, mark: Decimal, loss: Decimal, asset: str,
    at: datetime | None = None,
) -> Alert:  # fmt: skip
    return Alert(
        kind=AlertKind.PAPER_LIQUIDATION,
        severity=Severity.CRITICAL,
        title=f"dry-run {account}: {symbol} paper position liquidated at {_num(mark)}",
        text=(
            f"The venue would have closed the {quantity} {symbol} position at {_num(mark)}: its "
            "margin no longer covered the maintenance margin. With real money this hedge "
            f"would be gone, {_num(loss, 4)} {asset} lost with the clearance fee."
        ),
        dedupe_key=f"paper-liquidation:{account}:{symbol}:{mark}",
        at=at,
    )


def money_move(
    *, account: str, what: str, stage: str, fields: tuple[tuple[str, str], ...],
    failed: bool = False, at: datetime | None = None,
) -> Alert:  # fmt: skip
    """``what``: "withdrawal 2,000.00 USDT to 0xab..": one alert per stage reached."""
    return Alert(
        kind=AlertKind.MONEY_MOVE,
        severity=Severity.CRITICAL if failed else Severity.INFO,
        title=f"{account}: {what} {stage}",
        text="",
        dedupe_key=f"move:{account}:{what}:{stage}",
        fields=fields,
        at=at,
    )


def money_move_held(
    *, account: str, reason: str, direction: str, message: str, at: datetime | None = None
) -> Alert:
    return Alert(
        kind=AlertKind.MONEY_MOVE_HELD,
        severity=Severity.WARNING,
        title=f"{account}: {direction} needed, not sent ({reason})",
        text=message,
        dedupe_key=f"move-held:{account}:{direction}:{reason}",
        at=at,
    )

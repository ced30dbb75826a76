"""What the capital loop tells the operator: each stage a money move reaches (log, metric,
alert), a transfer that is needed and not made (one alert per reason until it changes), and a
pass that failed (logged, counted; the next pass tries again)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import structlog

from bot.alerts import events as alert_events
from bot.core.capital_model import CapitalView, MoneyMove, Verdict
from bot.daemon.capital.desk import StepResult
from bot.daemon.guard.publish import AlertSubmitter
from bot.journal import MoveIntent, MoveKind, MoveRecord, MoveStage
from bot.metrics import HealthTracker, HedgebotMetrics

log = structlog.get_logger(__name__)

NOUN = {MoveKind.WITHDRAW: "withdrawal", MoveKind.DEPOSIT: "deposit"}
STAGE_WORDS = {
    MoveStage.INTENT: "decided",
    MoveStage.IN_SPOT: "moved to spot",
    MoveStage.REQUESTED: "requested",
    MoveStage.ON_CHAIN: "sent on chain",
    MoveStage.CREDITED: "credited",
    MoveStage.DONE: "done",
    MoveStage.FAILED: "FAILED",
}


def describe(record: MoveRecord) -> str:
    i = record.intent
    way = "to" if i.kind is MoveKind.WITHDRAW else "from the reserve to"
    return f"{NOUN[i.kind]} {i.amount:,.2f} {i.coin} {way} {i.address[:10]}.."


class CapitalPublisher:
    def __init__(
        self,
        *,
        account: str,
        alerts: AlertSubmitter,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        health_key: str,
    ) -> None:
        self._account = account
        self._alerts = alerts
        self._metrics = metrics
        self._health = health
        self._health_key = health_key
        self._held: tuple[str, str] | None = None  # the alert last sent for a held transfer

    def stepped(self, result: StepResult, now: datetime) -> None:
        if result.note:
            log.warning("money move: answer lost, settled by lookup next pass", note=result.note)
        if result.changed:
            self.reached(result.record, now)

    def started(self, intent: MoveIntent, now: datetime) -> None:
        what = f"{NOUN[intent.kind]} {intent.amount:,.2f} {intent.coin}"
        self._metrics.count_money_move(kind=intent.kind.value, stage="intent", amount=None)
        log.warning("money move decided", move=what, move_id=intent.move_id, why=intent.reason)
        self._alerts.submit(
            alert_events.money_move(
                account=self._account, what=what, stage="started",
                fields=(("move id", intent.move_id), ("to", intent.address),
                        ("fee", f"{intent.fee} {intent.coin}"), ("why", intent.reason)),
                at=now,
            )
        )  # fmt: skip

    def reached(self, record: MoveRecord, now: datetime) -> None:
        i, stage = record.intent, record.stage
        settled = i.amount - i.fee if stage is MoveStage.DONE else None
        self._metrics.count_money_move(kind=i.kind.value, stage=stage.value, amount=settled)
        fields = [("move id", i.move_id), ("network", f"{i.coin} on {i.network}")]
        fields += [(k, v) for k, v in (("chain tx", record.tx_id), ("why", i.reason)) if v]
        if record.detail:
            fields.append(("detail", record.detail))
        failed = stage is MoveStage.FAILED
        log_at = log.error if failed else log.warning
        log_at("money move", move=describe(record), stage=stage.value, **dict(fields))
        if stage in (MoveStage.DONE, MoveStage.FAILED):
            self._alerts.submit(
                alert_events.money_move(
                    account=self._account, what=describe(record), stage=STAGE_WORDS[stage],
                    fields=tuple(fields), failed=failed, at=now,
                )
            )  # fmt: skip

    def decided(self, move: MoneyMove, view: CapitalView, now: datetime) -> None:
        reason = move.alert_reason.value if move.alert_reason else ""
        log.info(
            "capital decided", verdict=move.verdict.value, reason=reason,
            reserve_usd=str(view.reserve_usd), movable_usd=str(view.movable_usd),
            in_flight=view.in_flight is not None, message=move.message,
        )  # fmt: skip
        self._metrics.count_capital_decision(verdict=move.verdict.value, reason=reason)
        self._health.record_success(self._health_key, now)
        if move.verdict is not Verdict.ALERT:
            if move.verdict is Verdict.HOLD:
                self._held = None
            return
        direction = move.direction.value if move.direction else "transfer"
        if self._held == (direction, reason):
            return
        self._held = (direction, reason)
        log.warning("money move held", direction=direction, reason=reason, why=move.message)
        self._alerts.submit(
            alert_events.money_move_held(
                account=self._account, reason=reason, direction=direction,
                message=move.message, at=now,
            )
        )  # fmt: skip

    def realising(self, usd: Decimal, why: str) -> None:
        log.warning("realise hedge profit", usd=f"{usd:,.2f}", why=why)

    def waiting(self, why: str) -> None:
        log.info("capital waits", why=why)

    def failed(self, exc: Exception, now: datetime) -> None:
        self._metrics.count_capital_decision(verdict="failed", reason=type(exc).__name__)
        log.warning("capital pass failed", error=str(exc), at=now.isoformat())


__all__ = ["CapitalPublisher", "describe"]

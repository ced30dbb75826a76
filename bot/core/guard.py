"""The guard's decision, as one pure function: a snapshot in, a repay (or why not) out.

The guard needs the chain, the wallet and the journal only. Its HF is the one Aave computes
(every reserve the wallet holds, at the Aave oracle's prices), so a token missing from the
hedge's mapping changes nothing here. Exchange marks are used only when ``use_shadow_hf`` is on
and the hedger published them recently; without them the guard decides on the oracle alone.

The loop calls ``decide_guard`` once without the reserve; when the HF is under the trigger the
verdict is ``NEEDS_RESERVE`` and the loop reads the reserve wallet and the day's spending, then
calls again. A healthy position costs one chain read per tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.alerts import events as alert_events
from bot.alerts.hysteresis import HfAlertState, HfThresholds, step_hf_alert
from bot.alerts.model import Alert
from bot.core.health import exact_health_factor, shadow_snapshot, with_unmapped_tokens
from bot.core.model import PositionSnapshot, TokenMapping
from bot.core.repay import ProtectAction, ReserveBalance, decide
from bot.core.repay_params import ProtectParams

DEFAULT_GUARD_THRESHOLDS = HfThresholds(warning_hf=Decimal("1.3"), critical_hf=Decimal("1.15"))


class GuardVerdict(StrEnum):
    WATCH_ONLY = "watch_only"  # protect is off in the config: HF alerts only
    STOPPED = "stopped"  # the operator stopped the guard (hedgebot guard stop)
    STALE = "stale"  # the snapshot is too old to act on
    TX_IN_FLIGHT = "tx_in_flight"  # a repay (or its approve) is being sent or tracked
    BEHIND = "behind"  # the snapshot predates the last mined repay: read again
    HEALTHY = "healthy"  # HF at or above the trigger
    NEEDS_RESERVE = "needs_reserve"  # under the trigger: read the reserve, then decide again
    REPAY = "repay"  # ``action`` is to be sent
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # protect.require_confirmation
    CANNOT_REPAY = "cannot_repay"  # under the trigger and nothing can be done


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardSettings:
    name: str
    wallet: str
    params: ProtectParams | None  # None: protect is off (watch only)
    mapping: Mapping[str, TokenMapping]  # for the shadow HF only
    hf_thresholds: HfThresholds = DEFAULT_GUARD_THRESHOLDS


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardInputs:
    snapshot: PositionSnapshot
    stopped_reason: str | None = None  # set while the operator has the guard stopped
    in_flight: str | None = None  # the transaction job running now
    settled_block: int = 0  # block of the last transaction the guard saw mined
    marks: Mapping[str, Decimal] | None = None  # by underlying, fresh, for the shadow HF
    reserves: tuple[ReserveBalance, ...] | None = None  # read only when NEEDS_RESERVE
    spent_today_usd: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardMemory:
    hf_alert: HfAlertState = field(default_factory=HfAlertState)


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardDecision:
    verdict: GuardVerdict
    oracle_hf: Decimal
    reason: str
    action: ProtectAction | None = None
    alerts: tuple[Alert, ...] = ()
    memory: GuardMemory = field(default_factory=GuardMemory)


def decide_guard(
    inputs: GuardInputs, *, settings: GuardSettings, memory: GuardMemory, now: datetime
) -> GuardDecision:
    snapshot = inputs.snapshot
    oracle_hf = exact_health_factor(snapshot)
    if snapshot.is_stale:
        reason = snapshot.stale_reason or "stale"
        stale = alert_events.stale_data(
            position=settings.name, reason=reason, block_number=snapshot.block_number, at=now
        )
        return GuardDecision(
            verdict=GuardVerdict.STALE,
            oracle_hf=oracle_hf,
            reason=f"stale chain data: {reason}",
            alerts=(stale,),
            memory=memory,
        )
    alerts: list[Alert] = []
    memory = GuardMemory(hf_alert=_hf_alert(oracle_hf, settings, memory.hf_alert, now, alerts))
    verdict, reason, action = _verdict(inputs, settings, now, alerts)
    return GuardDecision(
        verdict=verdict,
        oracle_hf=oracle_hf,
        reason=reason,
        action=action,
        alerts=tuple(alerts),
        memory=memory,
    )


def _verdict(
    inputs: GuardInputs, settings: GuardSettings, now: datetime, alerts: list[Alert]
) -> tuple[GuardVerdict, str, ProtectAction | None]:
    params = settings.params
    if params is None or not params.enabled:
        return GuardVerdict.WATCH_ONLY, "protect is off: watching only", None
    if inputs.stopped_reason is not None:
        return GuardVerdict.STOPPED, f"guard stopped: {inputs.stopped_reason}", None
    if inputs.in_flight is not None:
        return GuardVerdict.TX_IN_FLIGHT, f"transaction in flight: {inputs.in_flight}", None
    if inputs.snapshot.block_number < inputs.settled_block:
        return (
            GuardVerdict.BEHIND,
            f"block {inputs.snapshot.block_number} predates the last mined transaction "
            f"(block {inputs.settled_block})",
            None,
        )
    decision = decide(
        inputs.snapshot,
        params=params,
        reserves=inputs.reserves or (),
        spent_today_usd=inputs.spent_today_usd,
        shadow_snapshot=_shadow(inputs, settings) if params.use_shadow_hf else None,
    )
    if not decision.triggered:
        return GuardVerdict.HEALTHY, decision.reason, None
    if inputs.reserves is None:
        return GuardVerdict.NEEDS_RESERVE, decision.reason, None
    action = decision.action
    if action is None:
        alerts.append(_failed(settings.name, None, decision.reason, now))
        return GuardVerdict.CANNOT_REPAY, f"protect: {decision.reason}", None
    if decision.needs_confirmation:
        error = f"needs operator confirmation: {action.reason}"
        alerts.append(_failed(settings.name, action, error, now))
        return GuardVerdict.AWAITING_CONFIRMATION, "protect: awaiting confirmation", action
    return GuardVerdict.REPAY, decision.reason, action


def _shadow(inputs: GuardInputs, settings: GuardSettings) -> PositionSnapshot:
    """The position at exchange marks when the hedger published fresh ones, else the oracle's
    own view (the shadow HF then equals the oracle HF: no exchange, no shadow)."""
    if not inputs.marks:
        return inputs.snapshot
    mapping = with_unmapped_tokens(inputs.snapshot, settings.mapping)
    try:
        return shadow_snapshot(inputs.snapshot, inputs.marks, mapping)
    except ValueError:  # a mark missing for a mapped underlying: decide on the oracle
        return inputs.snapshot


def _failed(position: str, action: ProtectAction | None, error: str, now: datetime) -> Alert:
    return alert_events.repay_failed(
        position=position,
        amount=action.amount if action else Decimal(0),
        asset=action.symbol if action else "-",
        error=error,
        at=now,
    )


def _hf_alert(
    hf: Decimal, settings: GuardSettings, state: HfAlertState, now: datetime, out: list[Alert]
) -> HfAlertState:
    if hf.is_infinite():
        return state
    step = step_hf_alert(
        state, hf=hf, thresholds=settings.hf_thresholds, position=settings.name, source="oracle",
        at=now,
    )  # fmt: skip
    if step.alert is not None:
        out.append(step.alert)
    return step.state


__all__ = [
    "GuardDecision",
    "GuardInputs",
    "GuardMemory",
    "GuardSettings",
    "GuardVerdict",
    "decide_guard",
]

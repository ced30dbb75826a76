"""When a health-factor alert fires and when it clears: a pure step function with hysteresis.

Levels: none < warning (HF under ``warning_hf``) < critical (HF under ``critical_hf``). A worse
level fires at once. A level clears only when HF climbs ``hysteresis`` above its threshold, so
an HF hovering around a threshold fires once instead of on every cycle. Every level change
yields exactly one alert: the new level's, or an "HF recovered" info when it clears entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.alerts.model import Alert, AlertKind, Severity

_RANK = {None: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class HfThresholds:
    warning_hf: Decimal
    critical_hf: Decimal
    hysteresis: Decimal = Decimal("0.02")

    def __post_init__(self) -> None:
        if not Decimal(1) <= self.critical_hf < self.warning_hf:
            raise ValueError(
                f"HF thresholds need 1 <= critical_hf < warning_hf, got critical_hf="
                f"{self.critical_hf}, warning_hf={self.warning_hf}"
            )
        if self.hysteresis < 0:
            raise ValueError(f"hysteresis must be >= 0, got {self.hysteresis}")

    def threshold(self, level: Severity) -> Decimal:
        return self.critical_hf if level is Severity.CRITICAL else self.warning_hf


@dataclass(frozen=True, slots=True, kw_only=True)
class HfAlertState:
    """The active level for one (position, HF source); ``None`` when healthy.

    ``transitions`` counts level changes; it goes into each alert's dedupe key, so the
    dispatcher's deduplication never swallows a real re-entry (hysteresis already limits noise).
    """

    level: Severity | None = None
    transitions: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class HfAlertDecision:
    state: HfAlertState
    alert: Alert | None


def _entry_level(hf: Decimal, thresholds: HfThresholds) -> Severity | None:
    if hf < thresholds.critical_hf:
        return Severity.CRITICAL
    if hf < thresholds.warning_hf:
        return Severity.WARNING
    return None


def _lower(level: Severity) -> Severity | None:
    return Severity.WARNING if level is Severity.CRITICAL else None


def step_hf_alert(
    state: HfAlertState,
    *,
    hf: Decimal,
    thresholds: HfThresholds,
    position: str,
    source: str,
    at: datetime | None = None,
) -> HfAlertDecision:
    """Advance ``state`` with a new health factor ``hf`` (``source``: "oracle" or "shadow")."""
    if hf.is_nan():
        raise ValueError(f"{source} health factor of {position} is NaN")
    entry = _entry_level(hf, thresholds)
    level = state.level
    if _RANK[entry] > _RANK[level]:
        level = entry
    else:
        while level is not None and hf >= thresholds.threshold(level) + thresholds.hysteresis:
            level = _lower(level)
        if _RANK[level] < _RANK[entry]:
            level = entry
    if level == state.level:
        return HfAlertDecision(state=state, alert=None)
    new_state = HfAlertState(level=level, transitions=state.transitions + 1)
    return HfAlertDecision(
        state=new_state,
        alert=_alert(
            new_state, hf=hf, thresholds=thresholds, position=position, source=source, at=at
        ),
    )


def _alert(
    state: HfAlertState,
    *,
    hf: Decimal,
    thresholds: HfThresholds,
    position: str,
    source: str,
    at: datetime | None,
) -> Alert:
    fields = (
        ("position", position),
        ("source", source),
        ("health factor", _fmt(hf)),
        ("warning under", _fmt(thresholds.warning_hf)),
        ("critical under", _fmt(thresholds.critical_hf)),
    )
    level = state.level
    if level is None:
        return Alert(
            kind=AlertKind.HF_RECOVERED,
            severity=Severity.INFO,
            title=f"{position}: {source} HF recovered to {_fmt(hf)}",
            text=f"The {source} health factor is back above {_fmt(thresholds.warning_hf)}.",
            dedupe_key=f"hf:{position}:{source}:recovered:{state.transitions}",
            fields=fields,
            at=at,
        )
    threshold = thresholds.threshold(level)
    return Alert(
        kind=AlertKind.HF_LOW,
        severity=level,
        title=f"{position}: {source} HF {_fmt(hf)} under {_fmt(threshold)}",
        text=f"The {source} health factor is under the {level.value} threshold.",
        dedupe_key=f"hf:{position}:{source}:{level.value}:{state.transitions}",
        fields=fields,
        at=at,
    )


def _fmt(value: Decimal) -> str:
    if value.is_infinite():
        return "∞"
    return f"{value:.4f}"

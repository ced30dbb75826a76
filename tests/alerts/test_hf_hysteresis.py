"""When HF alerts fire and clear: a table of steps and Hypothesis properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alerts import AlertKind, HfAlertState, HfThresholds, Severity, step_hf_alert

THRESHOLDS = HfThresholds(
    warning_hf=Decimal("1.30"), critical_hf=Decimal("1.15"), hysteresis=Decimal("0.02")
)
RANK = {None: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def run(values: list[str]) -> list[tuple[Severity | None, str | None]]:
    """(level after each step, severity of the alert fired or None)."""
    state = HfAlertState()
    out: list[tuple[Severity | None, str | None]] = []
    for value in values:
        decision = step_hf_alert(
            state, hf=Decimal(value), thresholds=THRESHOLDS, position="main", source="oracle"
        )
        state = decision.state
        out.append((state.level, None if decision.alert is None else decision.alert.severity))
    return out


def test_alerts_fire_on_entry_and_clear_only_past_the_hysteresis_band() -> None:
    assert run(["1.50", "1.29", "1.30", "1.31", "1.33", "1.14", "1.16", "1.18", "Infinity"]) == [
        (None, None),  # healthy
        (Severity.WARNING, "warning"),  # under 1.30: fire
        (Severity.WARNING, None),  # back at 1.30, inside the band: hold, no noise
        (Severity.WARNING, None),  # 1.31 < 1.32: still held
        (None, "info"),  # 1.33 >= 1.32: cleared, "recovered"
        (Severity.CRITICAL, "critical"),  # straight to critical
        (Severity.CRITICAL, None),  # 1.16 < 1.17: held
        (Severity.WARNING, "warning"),  # 1.18: critical clears, still under warning
        (None, "info"),  # no debt: infinite HF
    ]


def test_alert_texts_name_the_position_source_and_threshold() -> None:
    decision = step_hf_alert(
        HfAlertState(), hf=Decimal("1.1"), thresholds=THRESHOLDS, position="bsc", source="shadow"
    )
    assert decision.alert is not None
    assert decision.alert.kind is AlertKind.HF_LOW
    assert decision.alert.title == "bsc: shadow HF 1.1000 under 1.1500"
    assert decision.alert.dedupe_key == "hf:bsc:shadow:critical:1"


def test_a_re_entry_has_a_new_dedupe_key() -> None:
    keys = []
    state = HfAlertState()
    for value in ("1.2", "1.4", "1.2"):
        decision = step_hf_alert(
            state, hf=Decimal(value), thresholds=THRESHOLDS, position="p", source="oracle"
        )
        state = decision.state
        assert decision.alert is not None
        keys.append(decision.alert.dedupe_key)
    assert len(set(keys)) == 3


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        step_hf_alert(
            HfAlertState(), hf=Decimal("NaN"), thresholds=THRESHOLDS, position="p", source="o"
        )
    with pytest.raises(ValueError, match="critical_hf < warning_hf"):
        HfThresholds(warning_hf=Decimal("1.1"), critical_hf=Decimal("1.2"))


hf_values = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("3"), places=3)


@given(st.lists(hf_values, min_size=1, max_size=60))
def test_the_level_never_under_reports_and_only_holds_inside_the_band(
    values: list[Decimal],
) -> None:
    state = HfAlertState()
    for hf in values:
        before = state.level
        decision = step_hf_alert(state, hf=hf, thresholds=THRESHOLDS, position="p", source="oracle")
        state = decision.state
        entry = (
            Severity.CRITICAL
            if hf < THRESHOLDS.critical_hf
            else Severity.WARNING
            if hf < THRESHOLDS.warning_hf
            else None
        )
        assert RANK[state.level] >= RANK[entry]
        if state.level is not None and state.level != entry:
            assert hf < THRESHOLDS.threshold(state.level) + THRESHOLDS.hysteresis
        assert (decision.alert is not None) == (state.level != before)


@given(st.lists(st.decimals(min_value=Decimal("1.285"), max_value=Decimal("1.319"), places=3)))
def test_an_hf_hovering_at_a_threshold_fires_at_most_once(values: list[Decimal]) -> None:
    state = HfAlertState()
    fired = 0
    for hf in values:
        decision = step_hf_alert(state, hf=hf, thresholds=THRESHOLDS, position="p", source="oracle")
        state = decision.state
        fired += decision.alert is not None
    assert fired <= 1

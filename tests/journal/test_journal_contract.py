"""The journal's contract, run against SQLite (file, WAL) and a real PostgreSQL server."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import (
    CycleOutcome,
    CycleSummary,
    HedgeLine,
    Journal,
    JournalConflictError,
    JournalUnknownRecordError,
    TxIntent,
    TxStatus,
)

from .conftest import FakeClock

REPO_ROOT = Path(__file__).resolve().parents[2]


def intent(client_order_id: str = "hb-p1-1-BTCUSDT", **overrides: object) -> OrderIntent:
    values: dict[str, object] = {
        "symbol": "BTCUSDT",
        "side": Side.SELL,
        "quantity": Decimal("0.012"),
        "reduce_only": False,
        "client_order_id": client_order_id,
        "reason": "short 1200 USD of BTC to match collateral",
    }
    values.update(overrides)
    return OrderIntent(**values)  # type: ignore[arg-type]


def filled(client_order_id: str, **overrides: object) -> OrderReport:
    values: dict[str, object] = {
        "symbol": "BTCUSDT",
        "client_order_id": client_order_id,
        "status": OrderStatus.FILLED,
        "exchange_order_id": 4_000_000_001,
        "side": Side.SELL,
        "quantity": Decimal("0.012"),
        "executed_quantity": Decimal("0.012"),
        "average_price": Decimal("100123.45"),
        "fee": Decimal("0.48059256"),
        "fee_asset": "USDT",
        "update_time_ms": 1_748_779_200_123,
    }
    values.update(overrides)
    return OrderReport(**values)  # type: ignore[arg-type]


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in another Python process (another writer of the same database)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- orders -------------------------------------------------------------------------------------


def test_an_intent_stays_pending_until_its_outcome_is_recorded(journal: Journal) -> None:
    journal.start_cycle(position="main", cycle_id="main-1")
    journal.record_intent(intent("hb-1"), position="main", cycle_id="main-1")

    pending = journal.pending_intents()
    assert [p.intent for p in pending] == [intent("hb-1")]
    assert pending[0].cycle_id == "main-1"
    assert journal.order("hb-1").outcome is None  # type: ignore[union-attr]

    journal.record_outcome(filled("hb-1"))

    assert journal.pending_intents() == []
    record = journal.order("hb-1")
    assert record is not None
    assert record.outcome == filled("hb-1", reduce_only=False)


def test_the_latest_report_id_moves_with_every_report_journaled(journal: Journal) -> None:
    """What the hedger's fill sums are cached by (issue 18): any report changes it."""
    assert journal.last_outcome_id() == 0
    journal.record_intent(intent("hb-1"), position="main", cycle_id=None)
    assert journal.last_outcome_id() == 0  # an intent alone fills nothing
    journal.record_outcome(filled("hb-1", status=OrderStatus.NEW, executed_quantity=Decimal(0)))
    first = journal.last_outcome_id()
    journal.record_outcome(filled("hb-1"))
    assert journal.last_outcome_id() > first > 0


def test_an_outcome_without_a_recorded_intent_is_refused(journal: Journal) -> None:
    with pytest.raises(JournalUnknownRecordError, match="hb-ghost"):
        journal.record_outcome(filled("hb-ghost"))


def test_the_latest_outcome_is_the_order_state_and_history_is_kept(journal: Journal) -> None:
    journal.record_intent(intent("hb-1"), position="main", cycle_id=None)
    journal.record_outcome(filled("hb-1", status=OrderStatus.NEW, executed_quantity=Decimal(0)))

    assert journal.order("hb-1").outcome.status is OrderStatus.NEW  # type: ignore[union-attr]
    assert journal.pending_intents() == []  # it has an answer, so it is not a crash leftover

    journal.record_outcome(filled("hb-1"))

    assert journal.order("hb-1").outcome.status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_a_fill_waits_for_its_fee_until_a_copy_with_the_fee_is_recorded(
    journal: Journal,
) -> None:
    for cid in ("hb-f1", "hb-f2", "hb-rejected", "hb-other"):
        journal.record_intent(
            intent(cid), position="other" if cid == "hb-other" else "main", cycle_id=None
        )
    unknown_fee = {"fee": Decimal(0), "fee_asset": "", "fee_known": False}
    journal.record_outcome(filled("hb-f1", exchange_order_id=11, **unknown_fee))
    journal.record_outcome(filled("hb-f2", exchange_order_id=12, **unknown_fee))
    journal.record_outcome(filled("hb-other", exchange_order_id=13, **unknown_fee))
    journal.record_outcome(
        filled("hb-rejected", status=OrderStatus.REJECTED, executed_quantity=Decimal(0))
    )

    waiting = journal.fills_awaiting_fees(0, position="main")
    assert [r.client_order_id for r in waiting] == ["hb-f1", "hb-f2"]

    journal.record_outcome(
        filled("hb-f1", exchange_order_id=11, fee=Decimal("0.0081"), fee_asset="BNB")
    )

    assert [r.client_order_id for r in journal.fills_awaiting_fees(0, position="main")] == ["hb-f2"]
    settled = journal.order("hb-f1").outcome  # type: ignore[union-attr]
    assert settled is not None
    assert (settled.fee, settled.fee_asset, settled.fee_known) == (Decimal("0.0081"), "BNB", True)


def test_intents_written_before_a_crash_are_pending_after_restart(journal_url: str) -> None:
    # The writer dies by SIGKILL right after committing the intent, as if between sending the
    # order and recording its outcome.
    result = run_python(
        f"""
        import os, signal
        from decimal import Decimal
        from bot.core.model import OrderIntent, Side
        from bot.journal import Journal
        journal = Journal.open({journal_url!r})
        journal.start_cycle(position="main", cycle_id="main-7", now=1_748_779_200_000)
        journal.record_intent(
            OrderIntent(symbol="ETHUSDT", side=Side.SELL, quantity=Decimal("1.234"),
                        reduce_only=False, client_order_id="hb-crash-1", reason="hedge"),
            position="main", cycle_id="main-7", now=1_748_779_200_001)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert result.returncode == -9, result.stderr

    with Journal.open(journal_url) as restarted:
        pending = restarted.pending_intents(position="main")
        assert [p.intent.client_order_id for p in pending] == ["hb-crash-1"]
        assert pending[0].intent.quantity == Decimal("1.234")
        cycle = restarted.cycle("main-7")
        assert cycle is not None
        assert cycle.finished_at is None  # the cycle never finished


def test_recording_the_same_intent_twice_is_a_no_op(journal: Journal) -> None:
    assert journal.record_intent(intent("hb-1"), position="main", cycle_id=None) is True
    assert journal.record_intent(intent("hb-1"), position="main", cycle_id=None) is False

    assert len(journal.pending_intents()) == 1


def test_a_different_intent_under_an_existing_client_order_id_is_a_conflict(
    journal: Journal,
) -> None:
    journal.record_intent(intent("hb-1"), position="main", cycle_id=None)

    with pytest.raises(JournalConflictError, match=r"hb-1.*quantity.*0\.012.*0\.5"):
        journal.record_intent(
            intent("hb-1", quantity=Decimal("0.5")), position="main", cycle_id=None
        )
    assert journal.pending_intents()[0].intent.quantity == Decimal("0.012")


def test_an_intent_for_an_unknown_cycle_is_refused(journal: Journal) -> None:
    with pytest.raises(JournalUnknownRecordError, match="main-404"):
        journal.record_intent(intent("hb-1"), position="main", cycle_id="main-404")


def test_orders_in_a_time_window_count_every_attempt(journal: Journal, clock: FakeClock) -> None:
    start = clock.now
    for n in range(3):
        journal.record_intent(intent(f"hb-{n}"), position="main", cycle_id=None)
        clock.advance(minutes=30)
    journal.record_outcome(filled("hb-2", status=OrderStatus.REJECTED, error_code=-2019))
    journal.record_intent(intent("hb-other"), position="other", cycle_id=None, now=clock.now)

    an_hour_ago = clock.now - timedelta(hours=1)
    assert journal.order_count_since(an_hour_ago) == 3  # hb-1, hb-2 (rejected), hb-other
    assert journal.order_count_since(an_hour_ago, position="main") == 2
    assert journal.order_count_since(start) == 4
    assert [r.journaled.intent.client_order_id for r in journal.orders_since(an_hour_ago)] == [
        "hb-1",
        "hb-2",
        "hb-other",
    ]


# --- money and time -----------------------------------------------------------------------------

EXACT_VALUES = [
    Decimal("0.123456789012345678"),
    Decimal("123456789012.123456789012345678"),
    Decimal("-0.00000001"),
    Decimal("1E-18"),
    Decimal("0"),
]


@pytest.mark.parametrize("value", EXACT_VALUES, ids=str)
def test_decimals_round_trip_exactly(journal: Journal, value: Decimal) -> None:
    journal.record_intent(intent("hb-1", quantity=value), position="main", cycle_id=None)
    journal.record_outcome(filled("hb-1", average_price=value, fee=value))

    record = journal.order("hb-1")
    assert record is not None
    assert record.journaled.intent.quantity == value
    assert str(record.journaled.intent.quantity.normalize()) == str(value.normalize())
    assert record.outcome is not None
    assert record.outcome.fee == value
    assert record.outcome.average_price == value


def test_an_infinite_health_factor_round_trips(journal: Journal) -> None:
    journal.start_cycle(position="main", cycle_id="main-1")
    journal.finish_cycle(
        cycle_id="main-1",
        outcome=CycleOutcome.OK,
        summary=CycleSummary(oracle_hf=Decimal("Infinity"), shadow_hf=Decimal("1.05")),
    )

    cycle = journal.cycle("main-1")
    assert cycle is not None
    assert cycle.summary.oracle_hf == Decimal("Infinity")
    assert cycle.summary.shadow_hf == Decimal("1.05")


_quantities = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=18, allow_nan=False
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=_quantities)
def test_any_18_decimal_amount_round_trips(journal: Journal, amount: Decimal) -> None:
    # One journal serves every example; each example writes its own funding row.
    transaction_id = str(next(_funding_ids))
    journal.record_funding(
        symbol="BTCUSDT",
        asset="USDT",
        amount=amount,
        income_at=datetime(2025, 1, 1, tzinfo=UTC),
        transaction_id=transaction_id,
    )
    stored = [
        f.amount
        for f in journal.funding_income(since=datetime(2025, 1, 1, tzinfo=UTC))
        if f.transaction_id == transaction_id
    ]
    assert stored == [amount]


_funding_ids = itertools.count()


def test_floats_are_refused_for_money(journal: Journal) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        journal.record_intent(
            intent("hb-1", quantity=0.1),  # type: ignore[arg-type]
            position="main",
            cycle_id=None,
        )


def test_naive_datetimes_are_refused(journal: Journal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.start_cycle(position="main", cycle_id="c", now=datetime(2025, 1, 1))  # noqa: DTZ001


# --- cycles -------------------------------------------------------------------------------------


def test_a_cycle_keeps_its_snapshot_summary(journal: Journal, clock: FakeClock) -> None:
    started = clock.now
    journal.start_cycle(position="main", cycle_id="main-1")
    finished = clock.advance(seconds=0.25)
    summary = CycleSummary(
        block_number=48_123_456,
        oracle_hf=Decimal("1.4123"),
        shadow_hf=Decimal("1.3801"),
        hedges=(
            HedgeLine(
                underlying="BNB",
                target_short_usd=Decimal("2500.5"),
                current_short_usd=Decimal("2400"),
                reason="collateral 4 BNB, beta 1",
            ),
            HedgeLine(
                underlying="BTC",
                target_short_usd=Decimal("0"),
                current_short_usd=Decimal("0"),
                reason="no BTC exposure",
            ),
        ),
        reasons=("rebalance: BNB drift 4.2 % over 2 % band",),
    )
    journal.finish_cycle(cycle_id="main-1", outcome=CycleOutcome.OK, summary=summary)

    cycle = journal.cycle("main-1")
    assert cycle is not None
    assert cycle.started_at == started
    assert cycle.finished_at == finished
    assert cycle.outcome is CycleOutcome.OK
    assert cycle.summary == summary
    assert cycle.error is None


def test_last_success_and_consecutive_failures(journal: Journal, clock: FakeClock) -> None:
    assert journal.last_successful_cycle("main") is None
    assert journal.consecutive_failed_cycles("main") == 0

    outcomes = [CycleOutcome.FAILED, CycleOutcome.OK, CycleOutcome.FAILED, CycleOutcome.FAILED]
    finish_times = []
    for n, outcome in enumerate(outcomes):
        journal.start_cycle(position="main", cycle_id=f"main-{n}")
        finish_times.append(clock.advance(seconds=1))
        journal.finish_cycle(
            cycle_id=f"main-{n}",
            outcome=outcome,
            error=None if outcome is CycleOutcome.OK else "RPC timeout",
        )
        clock.advance(seconds=1)
    journal.start_cycle(position="main", cycle_id="main-running")  # unfinished: not counted

    assert journal.last_successful_cycle("main") == finish_times[1]
    assert journal.last_successful_cycle() == finish_times[1]
    assert journal.consecutive_failed_cycles("main") == 2
    assert journal.consecutive_failed_cycles("other") == 0

    journal.finish_cycle(cycle_id="main-running", outcome=CycleOutcome.SKIPPED)
    assert journal.consecutive_failed_cycles("main") == 0
    assert [c.cycle_id for c in journal.recent_cycles("main", limit=2)] == [
        "main-running",
        "main-3",
    ]


def test_a_cycle_id_cannot_be_started_or_finished_twice(journal: Journal) -> None:
    journal.start_cycle(position="main", cycle_id="main-1")
    with pytest.raises(JournalConflictError, match="main-1"):
        journal.start_cycle(position="main", cycle_id="main-1")
    journal.finish_cycle(cycle_id="main-1", outcome=CycleOutcome.OK)
    with pytest.raises(JournalConflictError, match="already finished"):
        journal.finish_cycle(cycle_id="main-1", outcome=CycleOutcome.FAILED)
    with pytest.raises(JournalUnknownRecordError, match="never started"):
        journal.finish_cycle(cycle_id="main-2", outcome=CycleOutcome.OK)


# --- pause flag and operator actions ------------------------------------------------------------


def test_the_pause_flag_is_shared_by_two_journal_instances(
    journal_url: str, clock: FakeClock
) -> None:
    with (
        Journal.open(journal_url, clock=clock) as daemon,
        Journal.open(journal_url, clock=clock) as cli,
    ):
        assert daemon.is_paused() is False

        cli.set_paused(True, reason="maintenance window", actor="alice")
        assert daemon.is_paused() is True
        state = daemon.pause_state()
        assert (state.reason, state.actor, state.changed_at) == (
            "maintenance window",
            "alice",
            clock.now,
        )

        clock.advance(minutes=5)
        cli.set_paused(False, reason="done", actor="alice")
        assert daemon.is_paused() is False

        actions = daemon.operator_actions()
        assert [(a.action, a.actor, a.reason) for a in actions] == [
            ("resume", "alice", "done"),
            ("pause", "alice", "maintenance window"),
        ]


def test_a_pause_from_another_process_reaches_the_running_journal(journal_url: str) -> None:
    with Journal.open(journal_url) as daemon:
        assert not daemon.is_paused()

        result = run_python(
            f"""
            from bot.journal import Journal
            with Journal.open({journal_url!r}) as cli:
                cli.set_paused(True, reason="flatten requested", actor="cli")
            """
        )
        assert result.returncode == 0, result.stderr

        assert daemon.is_paused()
        assert daemon.pause_state().reason == "flatten requested"


def test_pause_flags_are_per_deployment(journal_url: str) -> None:
    with (
        Journal.open(journal_url, deployment="bsc") as bsc,
        Journal.open(journal_url, deployment="eth") as eth,
    ):
        bsc.set_paused(True, reason="circuit breaker: 5 failed cycles")
        assert bsc.is_paused()
        assert not eth.is_paused()


def test_operator_actions_are_kept_newest_first(journal: Journal, clock: FakeClock) -> None:
    journal.record_operator_action("flatten", actor="bob", reason="exit", position="main")
    clock.advance(seconds=1)
    journal.record_operator_action("pause", actor="bob", reason="after flatten")

    actions = journal.operator_actions(limit=10)
    assert [(a.action, a.position) for a in actions] == [("pause", None), ("flatten", "main")]


# --- funding and alerts -------------------------------------------------------------------------


def test_funding_rows_are_deduplicated_by_transaction_id(journal: Journal) -> None:
    at = datetime(2025, 6, 1, 8, tzinfo=UTC)
    row = {
        "symbol": "BNBUSD_PERP",
        "asset": "BNB",
        "amount": Decimal("0.00012345"),
        "income_at": at,
        "transaction_id": "9689322392",
        "position": "main",
    }
    assert journal.record_funding(**row) is True  # type: ignore[arg-type]
    assert journal.record_funding(**row) is False  # type: ignore[arg-type]
    with pytest.raises(JournalConflictError, match="amount"):
        journal.record_funding(**{**row, "amount": Decimal("1")})  # type: ignore[arg-type]

    incomes = journal.funding_income(since=at, until=at + timedelta(hours=8))
    assert [(f.asset, f.amount, f.income_at) for f in incomes] == [
        ("BNB", Decimal("0.00012345"), at)
    ]


def test_alerts_sent_are_recorded(journal: Journal, clock: FakeClock) -> None:
    journal.record_alert(
        kind="hf_low",
        severity="critical",
        title="HF 1.08 under 1.10",
        text="oracle HF fell to 1.08",
        dedupe_key="hf:main:oracle:critical",
        sinks=("telegram", "slack"),
    )

    (alert,) = journal.alerts_since(clock.now - timedelta(minutes=1))
    assert alert.kind == "hf_low"
    assert alert.sinks == ("telegram", "slack")
    assert alert.created_at == clock.now


# --- paper exchange state -----------------------------------------------------------------------


def test_paper_state_survives_a_reopen(journal_url: str, clock: FakeClock) -> None:
    state = {
        "positions": {"BTCUSDT": {"quantity": Decimal("-0.012"), "entry": Decimal("100123.4")}},
        "balances": [{"asset": "BNB", "wallet": Decimal("3.000000000000000001")}],
        "next_order_id": 17,
        "hedge_mode": False,
    }
    with Journal.open(journal_url, clock=clock) as first:
        assert first.load_paper_state("paper") is None
        first.save_paper_state("paper", state)

    with Journal.open(journal_url, clock=clock) as second:
        assert second.load_paper_state("paper") == state
        second.save_paper_state("paper", {**state, "next_order_id": 18})
        loaded = second.load_paper_state("paper")
        assert loaded is not None
        assert loaded["next_order_id"] == 18
        assert loaded["balances"][0]["wallet"] == Decimal("3.000000000000000001")


def test_paper_state_refuses_floats(journal: Journal) -> None:
    with pytest.raises(TypeError, match=r"\$\.balances\.USDT"):
        journal.save_paper_state("paper", {"balances": {"USDT": 10.5}})


# --- on-chain transactions ----------------------------------------------------------------------

WALLET = "0x1234567890AbcdEF1234567890aBcdef12345678"
POOL = "0x6807dc923806fE8Fd134338EABCA509979a7e0cB"


def tx_intent(tx_key: str, nonce: int) -> TxIntent:
    return TxIntent(
        tx_key=tx_key,
        chain_id=56,
        from_address=WALLET,
        nonce=nonce,
        to_address=POOL,
        kind="repay",
        data_hash="0x" + "ab" * 32,
        amount=Decimal("1500.123456789012345678"),
        # The guard journals the token's address, 42 characters (PostgreSQL refused it once).
        asset="0x55d398326f99059fF775485246999027B3197955",
        position="main",
    )


def test_a_transaction_goes_from_intent_to_receipt(journal: Journal, clock: FakeClock) -> None:
    assert journal.record_tx_intent(tx_intent("repay-main-9", nonce=42)) is True
    assert journal.record_tx_intent(tx_intent("repay-main-9", nonce=42)) is False
    assert [t.status for t in journal.pending_txs()] == [TxStatus.INTENT]

    clock.advance(seconds=1)
    journal.record_tx_sent("repay-main-9", tx_hash="0x" + "01" * 32, max_fee_per_gas=Decimal(10**9))
    clock.advance(seconds=30)
    # Replaced with a higher fee: same nonce, new hash.
    journal.record_tx_sent(
        "repay-main-9", tx_hash="0x" + "02" * 32, max_fee_per_gas=Decimal(2 * 10**9)
    )
    journal.record_tx_sent("repay-main-9", tx_hash="0x" + "02" * 32)  # repeated: no-op

    (pending,) = journal.pending_txs(chain_id=56, from_address=WALLET.lower())
    assert pending.status is TxStatus.SENT
    assert pending.tx_hashes == ("0x" + "01" * 32, "0x" + "02" * 32)
    assert pending.intent == tx_intent("repay-main-9", nonce=42)

    journal.record_tx_receipt(
        "repay-main-9",
        tx_hash="0x" + "02" * 32,
        success=True,
        block_number=48_000_123,
        gas_used=182_345,
    )

    assert journal.pending_txs() == []
    done = journal.tx("repay-main-9")
    assert done is not None
    assert (done.status, done.mined_tx_hash, done.receipt_block, done.gas_used) == (
        TxStatus.MINED,
        "0x" + "02" * 32,
        48_000_123,
        182_345,
    )
    assert done.intent.amount == Decimal("1500.123456789012345678")


def test_a_guard_key_longer_than_100_characters_is_journaled(journal: Journal) -> None:
    # The guard's keys: kind, wallet, token, raw amount (18 decimals), block; the approve
    # before a repay prefixes another. PostgreSQL refused every repay's intent at 100.
    repay = f"repay:{WALLET.lower()}:{POOL.lower()}:{50_000 * 10**18}:{48_000_123}"
    key = f"approve:{repay}"
    assert len(key) > 130
    assert journal.record_tx_intent(tx_intent(key, nonce=7)) is True
    journal.record_tx_sent(key, tx_hash="0x" + "03" * 32)
    journal.record_tx_receipt(
        key, tx_hash="0x" + "03" * 32, success=True, block_number=1, gas_used=21_000
    )
    done = journal.tx(key)
    assert done is not None
    assert done.status is TxStatus.MINED


def test_pending_transactions_come_in_nonce_order(journal: Journal) -> None:
    for key, nonce in (("c", 12), ("a", 10), ("b", 11)):
        journal.record_tx_intent(tx_intent(key, nonce=nonce))
    journal.record_tx_sent("a", tx_hash="0x" + "aa" * 32)
    journal.record_tx_receipt(
        "a",
        tx_hash="0x" + "aa" * 32,
        success=False,
        block_number=1,
        gas_used=50_000,
        revert_reason="36",
    )
    journal.close_tx("c", status=TxStatus.FAILED, reason="signing failed")
    journal.record_tx_intent(tx_intent("d", nonce=13))

    assert [(t.intent.tx_key, t.intent.nonce) for t in journal.pending_txs()] == [
        ("b", 11),
        ("d", 13),
    ]
    reverted = journal.tx("a")
    assert reverted is not None
    assert (reverted.status, reverted.revert_reason) == (TxStatus.REVERTED, "36")


def test_transaction_updates_must_name_known_records(journal: Journal) -> None:
    with pytest.raises(JournalUnknownRecordError, match="repay-x"):
        journal.record_tx_sent("repay-x", tx_hash="0x" + "01" * 32)
    journal.record_tx_intent(tx_intent("repay-y", nonce=1))
    with pytest.raises(JournalUnknownRecordError, match="never recorded as sent"):
        journal.record_tx_receipt(
            "repay-y", tx_hash="0x" + "09" * 32, success=True, block_number=1, gas_used=1
        )
    with pytest.raises(JournalConflictError, match="nonce"):
        journal.record_tx_intent(tx_intent("repay-y", nonce=2))


# --- concurrency --------------------------------------------------------------------------------


def test_concurrent_writers_lose_nothing(journal_url: str, clock: FakeClock) -> None:
    errors: list[BaseException] = []

    with (
        Journal.open(journal_url, clock=clock) as daemon,
        Journal.open(journal_url, clock=clock) as cli,
    ):

        def write(writer: Journal, prefix: str) -> None:
            try:
                for n in range(15):
                    writer.record_intent(intent(f"{prefix}-{n}"), position="main", cycle_id=None)
                    writer.record_outcome(filled(f"{prefix}-{n}"))
            except BaseException as e:  # reported below, the thread must not die silently
                errors.append(e)

        threads = [
            threading.Thread(target=write, args=(writer, f"t{n}"))
            for n, writer in enumerate((daemon, daemon, cli, cli))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        assert daemon.order_count_since(clock.now - timedelta(hours=1)) == 60
        assert daemon.pending_intents() == []


def test_a_receipt_keeps_its_block_hash_and_a_reorg_reopens_it(journal: Journal) -> None:
    journal.record_tx_intent(tx_intent("repay-reorg", nonce=7))
    journal.record_tx_sent("repay-reorg", tx_hash="0x" + "01" * 32)
    journal.record_tx_receipt(
        "repay-reorg", tx_hash="0x" + "01" * 32, success=True, block_number=100,
        gas_used=90_000, block_hash="0x" + "cd" * 32,
    )  # fmt: skip
    (mined,) = journal.txs_mined_from(90)
    assert mined.receipt_block_hash == "0x" + "cd" * 32
    assert mined.intent.asset == "0x55d398326f99059fF775485246999027B3197955"
    assert journal.txs_mined_from(101) == []
    journal.reopen_tx("repay-reorg", reason="reorg at 100")
    record = journal.tx("repay-reorg")
    assert record is not None
    assert record.status is TxStatus.SENT
    assert (record.receipt_block, record.receipt_block_hash) == (None, None)
    assert [r.intent.tx_key for r in journal.pending_txs()] == ["repay-reorg"]

"""Schema versioning: upgrades from older versions, refusal of newer ones, no drift."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import LATEST_VERSION, Journal, JournalSchemaError
from bot.journal.engine import journal_url as to_url
from bot.journal.schema import metadata

from .conftest import FakeClock


def test_an_old_database_is_upgraded_and_keeps_its_rows(journal_url: str, clock: FakeClock) -> None:
    order = OrderIntent(
        symbol="BNBUSD_PERP",
        side=Side.SELL,
        quantity=Decimal("12"),
        reduce_only=False,
        client_order_id="hb-v1-1",
        reason="written by a version-1 hedgebot",
    )
    with Journal.open(journal_url, clock=clock, migrate_to=1) as old:
        assert old.schema_version() == 1
        old.record_intent(order, position="main", cycle_id=None)
        old.record_intent(replace(order, client_order_id="hb-v1-2"), position="main", cycle_id=None)
        # A version-1 outcome row, written as version-1 code wrote it (no ``paper`` column).
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO order_outcomes (client_order_id, status, executed_quantity, "
                    "average_price, fee, fee_asset, error_message, exchange_update_ms, "
                    "recorded_ms) VALUES ('hb-v1-2', 'FILLED', '12', '612.5', '0.001', 'BNB', "
                    "'', 0, 0)"
                    if conn.dialect.name == "sqlite"
                    else "INSERT INTO order_outcomes (client_order_id, status, "
                    "executed_quantity, average_price, fee, fee_asset, error_message, "
                    "exchange_update_ms, recorded_ms) VALUES ('hb-v1-2', 'FILLED', 12, 612.5, "
                    "0.001, 'BNB', '', 0, 0)"
                )
            )
        old.set_paused(True, reason="upgrade")
        tables = set(inspect(old.engine).get_table_names())
        assert "paper_state" not in tables
        assert "chain_txs" not in tables

    with Journal.open(journal_url, clock=clock) as upgraded:
        assert upgraded.schema_version() == LATEST_VERSION == 13
        assert [p.intent for p in upgraded.pending_intents()] == [order]
        migrated = upgraded.order("hb-v1-2")
        assert migrated is not None
        assert migrated.outcome is not None
        # a version-1 fee was read from the trade list at once: known
        assert (
            migrated.outcome.average_price,
            migrated.outcome.paper,
            migrated.outcome.fee_known,
        ) == (Decimal("612.5"), False, True)
        assert upgraded.is_paused()
        upgraded.save_paper_state("paper", {"ok": True})  # version 2 table
        assert upgraded.pending_txs() == []  # version 3 table
        upgraded.record_outcome(  # version 4 column
            OrderReport(
                symbol="BNBUSD_PERP",
                client_order_id="hb-v1-1",
                status=OrderStatus.FILLED,
                paper=True,
            )
        )
        assert upgraded.order("hb-v1-1").outcome.paper is True  # type: ignore[union-attr]
        upgraded.record_outcome(  # version 5 column
            OrderReport(
                symbol="BNBUSD_PERP",
                client_order_id="hb-v1-1",
                status=OrderStatus.FILLED,
                exchange_order_id=7,
                executed_quantity=Decimal(12),
                fee_known=False,
            )
        )
        assert [r.client_order_id for r in upgraded.fills_awaiting_fees(0)] == ["hb-v1-1"]
        assert upgraded.take_telegram_update("7000000001", 5)  # version 10 table
        assert not upgraded.take_telegram_update("7000000001", 5)
        assert upgraded.telegram_offset("7000000001") == 5
        upgraded.record_alert(  # version 11 column
            kind="stale_data", severity="warning", title="t", text="", dedupe_key="k",
            outcome="failed",
        )  # fmt: skip
        assert [a.outcome for a in upgraded.alerts_since(0)] == ["failed"]
        assert upgraded.begin_epoch(replica_id="a", reason="start") == 1  # version 12 table
        with upgraded.engine.connect() as conn:
            applied = conn.execute(
                text("SELECT version FROM schema_version ORDER BY version")
            ).all()
        assert [row.version for row in applied] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def test_reopening_a_current_database_changes_nothing(journal_url: str) -> None:
    Journal.open(journal_url).close()
    with Journal.open(journal_url) as again:
        assert again.schema_version() == LATEST_VERSION


def test_a_database_newer_than_the_code_is_refused(journal_url: str) -> None:
    Journal.open(journal_url).close()
    engine = create_engine(to_url(journal_url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO schema_version (version, description, applied_ms) "
                "VALUES (99, 'from the future', 0)"
            )
        )
    engine.dispose()

    with pytest.raises(JournalSchemaError, match=r"version 99.*upgrade hedgebot"):
        Journal.open(journal_url)


def test_migrated_tables_match_the_declared_schema(journal_url: str) -> None:
    with Journal.open(journal_url) as journal:
        inspector = inspect(journal.engine)
        assert set(inspector.get_table_names()) == set(metadata.tables)
        for name, table in metadata.tables.items():
            columns = {column["name"] for column in inspector.get_columns(name)}
            assert columns == set(table.columns.keys()), name


def test_sqlite_files_run_in_wal_mode(tmp_path: Path) -> None:
    with Journal.open(f"{tmp_path}/wal.db") as journal, journal.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_in_memory_journal_works_for_tests() -> None:
    with Journal.open("sqlite://", clock=FakeClock.utc(2025, 1, 1)) as journal:
        journal.set_paused(True, reason="memory")
        assert journal.is_paused()


def test_an_unsupported_url_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="mysql"):
        Journal.open("mysql://user@localhost/journal")

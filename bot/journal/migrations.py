"""Forward-only, explicit schema migrations.

The database records every applied step in ``schema_version`` (one row per version). Opening a
journal applies the missing steps in order, each step and its version row in the same
transaction, so a crash mid-upgrade leaves the previous version intact. PostgreSQL runs the
upgrade under a transaction-scoped advisory lock and SQLite under ``BEGIN IMMEDIATE``, so two
processes opening the same database at once upgrade it exactly once.

Rule for adding a step: append a ``Migration`` with the next version; never edit an applied
one. A step may create a table straight from ``schema.py`` only while that table is unchanged
since the step; once a later step alters a table (``ALTER TABLE ...``), copy the table's older
definition into the step that created it. ``tests/journal`` checks that a freshly migrated
database matches ``schema.py`` column for column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
)

from bot.journal import schema
from bot.journal.columns import ExactDecimal
from bot.journal.errors import JournalSchemaError

# Any constant works; it only has to be the same in every process that opens the journal.
_PG_ADVISORY_LOCK_ID = 7_270_417_001


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create(*tables: str) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for name in tables:
            schema.metadata.tables[name].create(conn)

    return apply


def _create_order_outcomes_v1(conn: Connection) -> None:
    # Frozen copy: version 4 added ``paper`` to schema.order_outcomes.
    frozen = MetaData()
    Table("order_intents", frozen, Column("client_order_id", String(36), primary_key=True))
    Table(
        "order_outcomes",
        frozen,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "client_order_id",
            String(36),
            ForeignKey("order_intents.client_order_id"),
            nullable=False,
        ),
        Column("status", String(20), nullable=False),
        Column("exchange_order_id", BigInteger),
        Column("executed_quantity", ExactDecimal, nullable=False),
        Column("average_price", ExactDecimal, nullable=False),
        Column("fee", ExactDecimal, nullable=False),
        Column("fee_asset", String(20), nullable=False),
        Column("error_code", Integer),
        Column("error_message", Text, nullable=False),
        Column("exchange_update_ms", BigInteger, nullable=False),
        Column("recorded_ms", BigInteger, nullable=False),
        Index("ix_order_outcomes_client_order_id", "client_order_id"),
    ).create(conn)


def _create_alerts_v1(conn: Connection) -> None:
    # Frozen copy: version 11 added ``outcome`` to schema.alerts.
    Table(
        "alerts",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(40), nullable=False),
        Column("severity", String(20), nullable=False),
        Column("title", Text, nullable=False),
        Column("text", Text, nullable=False),
        Column("dedupe_key", String(200), nullable=False),
        Column("sinks", Text, nullable=False),
        Column("created_ms", BigInteger, nullable=False),
        Index("ix_alerts_created", "created_ms"),
    ).create(conn)


def _add_alerts_outcome(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE alerts ADD COLUMN outcome VARCHAR(20) NOT NULL DEFAULT 'sent'"))


def _create_chain_txs_v3(conn: Connection) -> None:
    # Frozen copy: version 7 added ``receipt_block_hash`` to schema.chain_txs, version 13
    # widened ``tx_key``.
    frozen = MetaData()
    Table(
        "chain_txs",
        frozen,
        Column("tx_key", String(100), primary_key=True),
        Column("position", String(100)),
        Column("chain_id", BigInteger, nullable=False),
        Column("from_address", String(42), nullable=False),
        Column("nonce", BigInteger, nullable=False),
        Column("to_address", String(42), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("data_hash", String(66), nullable=False),
        Column("amount", ExactDecimal),
        Column("asset", String(20)),
        Column("status", String(20), nullable=False),
        Column("mined_tx_hash", String(66)),
        Column("receipt_block", BigInteger),
        Column("gas_used", BigInteger),
        Column("revert_reason", Text),
        Column("created_ms", BigInteger, nullable=False),
        Column("updated_ms", BigInteger, nullable=False),
        Index("ix_chain_txs_sender_nonce", "chain_id", "from_address", "nonce"),
    ).create(conn)
    # Frozen copy: version 13 widened ``tx_key``.
    Table(
        "chain_tx_sends",
        frozen,
        Column("tx_hash", String(66), primary_key=True),
        Column("tx_key", String(100), ForeignKey("chain_txs.tx_key"), nullable=False),
        Column("max_fee_per_gas", ExactDecimal),
        Column("max_priority_fee_per_gas", ExactDecimal),
        Column("sent_ms", BigInteger, nullable=False),
        Index("ix_chain_tx_sends_tx_key", "tx_key"),
    ).create(conn)


def _add_chain_txs_block_hash(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE chain_txs ADD COLUMN receipt_block_hash VARCHAR(66)"))
    if conn.dialect.name == "postgresql":  # SQLite does not enforce lengths
        # A token address is 42 characters: PostgreSQL refused every repay's intent.
        conn.execute(text("ALTER TABLE chain_txs ALTER COLUMN asset TYPE VARCHAR(42)"))


def _widen_tx_key(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":  # SQLite does not enforce lengths
        # A repay's key (kind, wallet, token, raw amount, block) passes 100 characters:
        # PostgreSQL refused every repay's intent.
        for table in ("chain_txs", "chain_tx_sends"):
            conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN tx_key TYPE VARCHAR(200)"))


def _add_order_outcomes_paper(conn: Connection) -> None:
    false_literal = "FALSE" if conn.dialect.name == "postgresql" else "0"
    conn.execute(
        text(
            f"ALTER TABLE order_outcomes ADD COLUMN paper BOOLEAN NOT NULL DEFAULT {false_literal}"
        )
    )


def _add_order_outcomes_fee_known(conn: Connection) -> None:
    true_literal = "TRUE" if conn.dialect.name == "postgresql" else "1"
    conn.execute(
        text(
            "ALTER TABLE order_outcomes ADD COLUMN fee_known BOOLEAN NOT NULL "
            f"DEFAULT {true_literal}"
        )
    )


def _version_1(conn: Connection) -> None:
    _create("cycles", "cycle_hedges", "order_intents")(conn)
    _create_order_outcomes_v1(conn)
    _create("funding_income")(conn)
    _create_alerts_v1(conn)
    _create("operator_actions", "deployment_flags")(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="cycles, orders, funding, alerts, operator actions, pause flag",
        apply=_version_1,
    ),
    Migration(version=2, description="paper exchange state", apply=_create("paper_state")),
    Migration(
        version=3,
        description="on-chain transactions for repay",
        apply=_create_chain_txs_v3,
    ),
    Migration(
        version=4,
        description="order_outcomes.paper: reports of the dry-run paper exchange",
        apply=_add_order_outcomes_paper,
    ),
    Migration(
        version=5,
        description="order_outcomes.fee_known: fees settled from the trade list after the fill",
        apply=_add_order_outcomes_fee_known,
    ),
    Migration(
        version=6,
        description="guard_flags: the liquidation guard stopped or running, per position",
        apply=_create("guard_flags"),
    ),
    Migration(
        version=7,
        description="chain_txs.receipt_block_hash (reorgs); chain_txs.asset fits an address",
        apply=_add_chain_txs_block_hash,
    ),
    Migration(
        version=8,
        description="cycle_shares: each position's part of the account's hedge",
        apply=_create("cycle_shares"),
    ),
    Migration(
        version=9,
        description="money_moves: withdrawals to the reserve, deposits of margin",
        apply=_create("money_moves"),
    ),
    Migration(
        version=10,
        description="telegram_offsets: the last Telegram update each bot's commands handled",
        apply=_create("telegram_offsets"),
    ),
    Migration(
        version=11,
        description="alerts.outcome: sent, failed, suppressed, dropped, deduplicated, unsent",
        apply=_add_alerts_outcome,
    ),
    Migration(
        version=12,
        description="ha_epochs: leadership epochs of replicas sharing the journal (fencing)",
        apply=_create("ha_epochs"),
    ),
    Migration(
        version=13,
        description="chain_txs.tx_key fits a repay's key (PostgreSQL)",
        apply=_widen_tx_key,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """The highest applied version, 0 for an empty database."""
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return 0
    value = conn.execute(select(func.max(schema.schema_version.c.version))).scalar_one()
    return int(value or 0)


def migrate(
    engine: Engine,
    *,
    now_ms: int,
    target: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring the database up to ``target`` (default: the latest version); return the version."""
    known = migrations[-1].version
    wanted = known if target is None else target
    if not 0 <= wanted <= known:
        raise JournalSchemaError(f"migration target {wanted} is outside 0..{known}")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_ADVISORY_LOCK_ID})
        schema.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > known:
            raise JournalSchemaError(
                f"the journal database is at schema version {version}, newer than this "
                f"hedgebot knows ({known}); upgrade hedgebot instead of downgrading the database"
            )
        for step in migrations:
            if version < step.version <= wanted:
                step.apply(conn)
                conn.execute(
                    schema.schema_version.insert().values(
                        version=step.version, description=step.description, applied_ms=now_ms
                    )
                )
                version = step.version
        return version

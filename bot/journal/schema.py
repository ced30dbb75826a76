"""The journal's tables as they are at the latest schema version.

Migrations (``migrations.py``) create these tables version by version; queries use them. Every
``*_ms`` column holds epoch milliseconds; every money or quantity column is ``ExactDecimal``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from bot.journal.columns import ExactDecimal

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_ms", BigInteger, nullable=False),
)

# --- version 1: cycles, orders, funding, alerts, operator actions, pause flag ---------------

cycles = Table(
    "cycles",
    metadata,
    Column("cycle_id", String(100), primary_key=True),
    Column("position", String(100), nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger),
    Column("outcome", String(20)),  # CycleOutcome; NULL while running (or if the process died)
    Column("block_number", BigInteger),
    Column("oracle_hf", ExactDecimal),
    Column("shadow_hf", ExactDecimal),
    Column("reasons", Text),  # JSON list of strings
    Column("error", Text),
    Index("ix_cycles_position_started", "position", "started_ms"),
)

cycle_hedges = Table(
    "cycle_hedges",
    metadata,
    Column("cycle_id", String(100), ForeignKey("cycles.cycle_id"), primary_key=True),
    Column("underlying", String(20), primary_key=True),
    Column("target_short_usd", ExactDecimal, nullable=False),
    Column("current_short_usd", ExactDecimal, nullable=False),
    Column("reason", Text, nullable=False),
)

# version 8: each position's part of an account cycle's hedge (positions sharing an account)
cycle_shares = Table(
    "cycle_shares",
    metadata,
    Column("cycle_id", String(100), ForeignKey("cycles.cycle_id"), primary_key=True),
    Column("position", String(100), primary_key=True),
    Column("underlying", String(20), primary_key=True),
    Column("target_short_usd", ExactDecimal, nullable=False),
    Column("current_short_usd", ExactDecimal, nullable=False),
    Index("ix_cycle_shares_position", "position"),
)

order_intents = Table(
    "order_intents",
    metadata,
    Column("client_order_id", String(36), primary_key=True),
    Column("position", String(100), nullable=False),
    Column("cycle_id", String(100), ForeignKey("cycles.cycle_id")),  # NULL: outside a cycle
    Column("symbol", String(30), nullable=False),
    Column("side", String(4), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("reduce_only", Boolean, nullable=False),
    Column("order_type", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Index("ix_order_intents_created", "created_ms"),
)

# Append-only: one row per report the venue gave; the latest (highest id) is the current state.
order_outcomes = Table(
    "order_outcomes",
    metadata,
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
    # version 4: the paper exchange (dry-run) produced the report; nothing traded
    Column("paper", Boolean, nullable=False, server_default=false()),
    # version 5: False while the fee of a fill is still to be read from the trade list
    Column("fee_known", Boolean, nullable=False, server_default=true()),
    Index("ix_order_outcomes_client_order_id", "client_order_id"),
)

funding_income = Table(
    "funding_income",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", String(100)),
    Column("symbol", String(30), nullable=False),
    Column("asset", String(20), nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # signed: negative = paid
    Column("income_ms", BigInteger, nullable=False),
    Column("transaction_id", String(64), nullable=False),  # Binance ``tranId``
    Column("recorded_ms", BigInteger, nullable=False),
    UniqueConstraint("symbol", "transaction_id", name="uq_funding_income_symbol_transaction"),
    Index("ix_funding_income_income", "income_ms"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("dedupe_key", String(200), nullable=False),
    Column("sinks", Text, nullable=False),  # JSON list of sink names
    Column("created_ms", BigInteger, nullable=False),
    # What became of it at those sinks (bot.alerts.dispatcher.DeliveryOutcome's values).
    Column("outcome", String(20), nullable=False, server_default="sent"),
    Index("ix_alerts_created", "created_ms"),
)

operator_actions = Table(
    "operator_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("position", String(100)),
    Column("created_ms", BigInteger, nullable=False),
)

deployment_flags = Table(
    "deployment_flags",
    metadata,
    Column("deployment", String(100), primary_key=True),
    Column("paused", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# --- version 2: the paper exchange's state ----------------------------------------------------

paper_state = Table(
    "paper_state",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("state", Text, nullable=False),  # JSON, Decimals tagged (see paper.py)
    Column("updated_ms", BigInteger, nullable=False),
)

# --- version 3: on-chain transactions (repay) -------------------------------------------------

chain_txs = Table(
    "chain_txs",
    metadata,
    # Deterministic, chosen by the caller; 200 since version 13 (a repay's key passes 100).
    Column("tx_key", String(200), primary_key=True),
    Column("position", String(100)),
    Column("chain_id", BigInteger, nullable=False),
    Column("from_address", String(42), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("to_address", String(42), nullable=False),
    Column("kind", String(40), nullable=False),  # "repay", "approve", ...
    Column("data_hash", String(66), nullable=False),  # keccak of the calldata, 0x-hex
    Column("amount", ExactDecimal),
    Column("asset", String(42)),  # the token's address (version 7; was 20, too short)
    Column("status", String(20), nullable=False),  # TxStatus
    Column("mined_tx_hash", String(66)),
    Column("receipt_block", BigInteger),
    Column("receipt_block_hash", String(66)),  # version 7: a reorg changes it
    Column("gas_used", BigInteger),
    Column("revert_reason", Text),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_chain_txs_sender_nonce", "chain_id", "from_address", "nonce"),
)

chain_tx_sends = Table(
    "chain_tx_sends",
    metadata,
    Column("tx_hash", String(66), primary_key=True),
    Column("tx_key", String(200), ForeignKey("chain_txs.tx_key"), nullable=False),
    Column("max_fee_per_gas", ExactDecimal),  # wei
    Column("max_priority_fee_per_gas", ExactDecimal),  # wei
    Column("sent_ms", BigInteger, nullable=False),
    Index("ix_chain_tx_sends_tx_key", "tx_key"),
)

# --- version 6: the liquidation guard's own switch, per position -------------------------------

guard_flags = Table(
    "guard_flags",
    metadata,
    Column("deployment", String(100), primary_key=True),
    Column("position", String(100), primary_key=True),
    Column("stopped", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# --- version 9: money moved between the exchange account and the reserve wallet --------------

money_moves = Table(
    "money_moves",
    metadata,
    Column("move_id", String(40), primary_key=True),  # deterministic; the withdrawOrderId
    Column("kind", String(20), nullable=False),  # MoveKind
    Column("account", String(100), nullable=False),
    Column("coin", String(20), nullable=False),
    Column("network", String(20), nullable=False),
    Column("address", String(42), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("fee", ExactDecimal, nullable=False),
    Column("reason", Text, nullable=False),
    Column("stage", String(20), nullable=False),  # MoveStage
    Column("venue_status", String(40), nullable=False, server_default=""),
    Column("venue_id", String(80), nullable=False, server_default=""),
    Column("transfer_id", String(80), nullable=False, server_default=""),
    Column("tx_id", String(80), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_money_moves_created", "created_ms"),
)

# --- version 10: the Telegram command listener's place in its bot's update stream -------------

telegram_offsets = Table(
    "telegram_offsets",
    metadata,
    Column("bot_id", String(40), primary_key=True),  # the token's public part (the bot's user id)
    Column("last_update_id", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# --- version 12: leadership epochs of replicas sharing this journal (bot.ha) ------------------

# One row per leadership won: the highest epoch of a deployment is the only one whose fenced
# writes (the intents before an order, a transaction or a money move) the journal accepts.
ha_epochs = Table(
    "ha_epochs",
    metadata,
    Column("deployment", String(100), primary_key=True),
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    Column("replica_id", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("started_ms", BigInteger, nullable=False),
)

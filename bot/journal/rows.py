"""Rows to records: the queries that read journal tables back into frozen values."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, func, select

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import schema
from bot.journal.columns import from_ms
from bot.journal.records import (
    CycleOutcome,
    CycleRecord,
    CycleSummary,
    HedgeLine,
    JournaledIntent,
    OrderRecord,
    ShareLine,
    TxIntent,
    TxRecord,
    TxStatus,
)


def cycle_record(conn: Connection, row: Row[Any]) -> CycleRecord:
    hedges = conn.execute(
        select(schema.cycle_hedges)
        .where(schema.cycle_hedges.c.cycle_id == row.cycle_id)
        .order_by(schema.cycle_hedges.c.underlying)
    ).all()
    shares = conn.execute(
        select(schema.cycle_shares)
        .where(schema.cycle_shares.c.cycle_id == row.cycle_id)
        .order_by(schema.cycle_shares.c.position, schema.cycle_shares.c.underlying)
    ).all()
    return CycleRecord(
        cycle_id=row.cycle_id,
        position=row.position,
        started_at=from_ms(row.started_ms),
        finished_at=None if row.finished_ms is None else from_ms(row.finished_ms),
        outcome=None if row.outcome is None else CycleOutcome(row.outcome),
        summary=CycleSummary(
            block_number=row.block_number,
            oracle_hf=row.oracle_hf,
            shadow_hf=row.shadow_hf,
            hedges=tuple(
                HedgeLine(
                    underlying=h.underlying,
                    target_short_usd=h.target_short_usd,
                    current_short_usd=h.current_short_usd,
                    reason=h.reason,
                )
                for h in hedges
            ),
            reasons=tuple(json.loads(row.reasons)) if row.reasons else (),
            shares=tuple(
                ShareLine(
                    position=h.position,
                    underlying=h.underlying,
                    target_short_usd=h.target_short_usd,
                    current_short_usd=h.current_short_usd,
                )
                for h in shares
            ),
        ),
        error=row.error,
    )


def journaled_intent(row: Row[Any]) -> JournaledIntent:
    return JournaledIntent(
        intent=OrderIntent(
            symbol=row.symbol,
            side=Side(row.side),
            quantity=row.quantity,
            reduce_only=bool(row.reduce_only),
            client_order_id=row.client_order_id,
            reason=row.reason,
            order_type=row.order_type,
        ),
        position=row.position,
        cycle_id=row.cycle_id,
        created_at=from_ms(row.created_ms),
    )


def order_records(
    conn: Connection,
    *,
    position: str | None = None,
    since_ms: int | None = None,
    client_order_id: str | None = None,
) -> list[OrderRecord]:
    intents = schema.order_intents
    outcomes = schema.order_outcomes
    latest = (
        select(func.max(outcomes.c.id).label("id"), outcomes.c.client_order_id)
        .group_by(outcomes.c.client_order_id)
        .subquery()
    )
    query = (
        select(intents, outcomes)
        .select_from(
            intents.outerjoin(
                latest, latest.c.client_order_id == intents.c.client_order_id
            ).outerjoin(outcomes, outcomes.c.id == latest.c.id)
        )
        .order_by(intents.c.created_ms, intents.c.client_order_id)
    )
    conditions: list[ColumnElement[bool]] = []
    if position is not None:
        conditions.append(intents.c.position == position)
    if since_ms is not None:
        conditions.append(intents.c.created_ms >= since_ms)
    if client_order_id is not None:
        conditions.append(intents.c.client_order_id == client_order_id)
    if conditions:
        query = query.where(and_(*conditions))
    rows = conn.execute(query).all()
    records = []
    for row in rows:
        journaled = journaled_intent(row)
        outcome = None if row.status is None else order_report(row)
        records.append(
            OrderRecord(
                journaled=journaled,
                outcome=outcome,
                outcome_recorded_at=None if outcome is None else from_ms(row.recorded_ms),
            )
        )
    return records


def order_report(row: Row[Any]) -> OrderReport:
    """The venue's report in a row joining an outcome to its intent."""
    return OrderReport(
        symbol=row.symbol,
        client_order_id=row.client_order_id,
        status=OrderStatus(row.status),
        exchange_order_id=row.exchange_order_id,
        side=Side(row.side),
        quantity=row.quantity,
        executed_quantity=row.executed_quantity,
        average_price=row.average_price,
        fee=row.fee,
        fee_asset=row.fee_asset,
        reduce_only=row.reduce_only,
        error_code=row.error_code,
        error_message=row.error_message,
        update_time_ms=row.exchange_update_ms,
        paper=bool(row.paper),
        fee_known=bool(row.fee_known),
    )


def tx_records(conn: Connection, condition: ColumnElement[bool]) -> list[TxRecord]:
    c = schema.chain_txs.c
    sends = schema.chain_tx_sends.c
    rows = conn.execute(
        select(schema.chain_txs)
        .where(condition)
        .order_by(c.chain_id, c.from_address, c.nonce, c.created_ms)
    ).all()
    hashes: dict[str, list[str]] = {row.tx_key: [] for row in rows}
    if rows:
        for send in conn.execute(
            select(sends.tx_key, sends.tx_hash)
            .where(sends.tx_key.in_(list(hashes)))
            .order_by(sends.sent_ms, sends.tx_hash)
        ):
            hashes[send.tx_key].append(send.tx_hash)
    return [
        TxRecord(
            intent=TxIntent(
                tx_key=row.tx_key,
                chain_id=row.chain_id,
                from_address=row.from_address,
                nonce=row.nonce,
                to_address=row.to_address,
                kind=row.kind,
                data_hash=row.data_hash,
                amount=row.amount,
                asset=row.asset,
                position=row.position,
            ),
            status=TxStatus(row.status),
            tx_hashes=tuple(hashes[row.tx_key]),
            mined_tx_hash=row.mined_tx_hash,
            receipt_block=row.receipt_block,
            receipt_block_hash=row.receipt_block_hash,
            gas_used=row.gas_used,
            revert_reason=row.revert_reason,
            created_at=from_ms(row.created_ms),
            updated_at=from_ms(row.updated_ms),
        )
        for row in rows
    ]

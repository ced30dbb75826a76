"""What the journal's news reads as, one line each: an order, a chain transaction, a money move
at a stage. Pure; both live views (``hedgebot watch`` and the demo) word events this way."""

from __future__ import annotations

from decimal import Decimal

from bot.journal import MoveKind, MoveRecord, MoveStage
from bot.watch.journal_tail import OrderEvent, TxEvent

MOVE_STAGE_WORDS = {
    MoveStage.INTENT: "decided",
    MoveStage.IN_SPOT: "moved from futures to spot",
    MoveStage.REQUESTED: "requested",
    MoveStage.ON_CHAIN: "sent on chain",
    MoveStage.CREDITED: "credited",
    MoveStage.DONE: "done",
    MoveStage.FAILED: "FAILED",
}


def order_text(o: OrderEvent) -> str:
    filled = o.executed_quantity > 0
    flags = " reduce-only" if o.reduce_only else ""
    price = f" @ {o.average_price:,.2f}" if filled else ""
    error = f" ({o.error})" if o.error else ""
    # The hedger's buy-back and re-sale that books short profit the capital loop asked for.
    why = ": realises profit for a withdrawal" if o.reason.startswith("realise") else ""
    return (
        f"{o.side} {o.executed_quantity.normalize():f}/{o.quantity.normalize():f} "
        f"{o.symbol}{flags} {o.status}{price}{error}{why}"
    )


def is_repay(tx: TxEvent) -> bool:
    return tx.kind == "repay" and tx.status == "mined"


def tx_text(tx: TxEvent, symbol: str) -> str:
    """``symbol``: the token's name (the journal keeps its address)."""
    amount = tx.amount or Decimal(0)
    where = f" in block {tx.block}" if tx.block is not None else ""
    if is_repay(tx):
        short_hash = f" tx {tx.tx_hash[:12]}…" if tx.tx_hash else ""
        return f"repaid {amount:,.2f} {symbol} from the reserve{where}{short_hash}"
    reason = f": {tx.revert_reason}" if tx.revert_reason else ""
    return f"{tx.kind} {amount:,.2f} {symbol} {tx.status}{where}{reason}"


def move_decided_text(record: MoveRecord) -> str:
    i = record.intent
    to = "to the reserve" if i.kind is MoveKind.WITHDRAW else "to the exchange as margin"
    return f"{i.amount:,.2f} {i.coin} {to} decided (fee {i.fee:,.2f}): {_why(i.reason)}"


def move_received(record: MoveRecord) -> Decimal:
    """What reached the other side of a move done (a withdrawal pays its fee)."""
    i = record.intent
    return i.amount - i.fee if i.kind is MoveKind.WITHDRAW else i.amount


def move_stage_text(record: MoveRecord) -> str:
    i = record.intent
    what = f"{i.amount:,.2f} {i.coin}"
    if record.stage is MoveStage.DONE:
        where = "reached the reserve" if i.kind is MoveKind.WITHDRAW else "credited as margin"
        return (
            f"{what} done: {move_received(record):,.2f} {i.coin} {where}, "
            f"chain tx {record.tx_id[:12]}…"
        )
    if record.stage is MoveStage.FAILED:
        return f"{what} FAILED: {record.detail}"
    ids = [f"exchange id {record.venue_id}"] if record.venue_id else []
    ids += [f"chain tx {record.tx_id[:12]}…"] if record.tx_id else []
    return f"{what} {MOVE_STAGE_WORDS[record.stage]}" + (f" ({', '.join(ids)})" if ids else "")


def _why(reason: str) -> str:
    """The capital loop's reason, short: what it saw ("reserve 0.00 USD is 9,000.00 USD under
    its target ..."), and what limited the amount when something did."""
    seen, _, rest = reason.partition(": ")
    _, limited, by = rest.partition(", limited by ")
    return seen + (f", limited by {by.split(' ')[0]}" if limited else "")


__all__ = [
    "MOVE_STAGE_WORDS",
    "is_repay",
    "move_decided_text",
    "move_received",
    "move_stage_text",
    "order_text",
    "tx_text",
]

"""What ``hedgebot status`` reports for one position, and its JSON form (``--json``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.core.account import AccountLine
from bot.core.assess import Assessment, UnderlyingView
from bot.core.margin_need import MarginNeed
from bot.core.model import AssetPosition, PositionSnapshot
from bot.core.reserve import CrashReserve
from bot.core.totals import PositionTotals
from bot.journal import AlertRecord, EpochRecord, FundingRecord, MoveRecord, OperatorAction


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopsState:
    """The two loops as the operator set them: the guard's switch and the hedger's pause."""

    guard: str  # "on", "STOPPED", "off"
    guard_reason: str
    hedger: str  # "running" or "paused"
    hedger_reason: str

    def as_json(self) -> dict[str, str]:
        return {
            "guard": self.guard,
            "guard_reason": self.guard_reason,
            "hedger": self.hedger,
            "hedger_reason": self.hedger_reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadershipView:
    """With ``ha`` on: the journal's latest epoch (who leads, since when, why) and, in a
    running replica (the dashboard), this replica's own role."""

    epoch: int | None  # None: no replica has led yet
    leader: str | None
    since: str | None  # ISO time the epoch began
    reason: str
    replica: str | None = None  # this replica's id; None outside a replica (the CLI)
    role: str | None = None  # "leader", "taking_over" or "follower"; None outside a replica

    def as_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "leader": self.leader,
            "since": self.since,
            "reason": self.reason,
            "replica": self.replica,
            "role": self.role,
        }


def leadership_view(latest: EpochRecord | None) -> LeadershipView:
    if latest is None:
        return LeadershipView(epoch=None, leader=None, since=None, reason="no replica led yet")
    return LeadershipView(
        epoch=latest.epoch,
        leader=latest.replica_id,
        since=latest.started_at.isoformat(),
        reason=latest.reason,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    position: str
    mode: str
    snapshot: PositionSnapshot
    assessment: Assessment
    reserve: CrashReserve | None
    loops: LoopsState
    account: str
    lines: tuple[AccountLine, ...]  # the account's hedge, every position sharing it
    moves: tuple[MoveRecord, ...] = ()  # the account's money moves of the last 24 h
    reserve_basis: str = ""  # the crash the reserve is sized for, in words
    reserve_warning: str | None = None  # the configured reserve target is under the need
    margin: MarginNeed | None = None  # the account's: what its wanted shorts need
    totals: PositionTotals | None = None
    funding: tuple[FundingRecord, ...] = ()  # the account's funding of the last 24 h
    alerts: tuple[AlertRecord, ...] = ()  # of the last 24 h, with what became of each
    actions: tuple[OperatorAction, ...] = ()  # the latest operator actions, newest first
    leadership: LeadershipView | None = None  # None: ha is off (one daemon, no replicas)

    def as_json(self) -> dict[str, Any]:
        s, a = self.snapshot, self.assessment
        return {
            "position": self.position,
            "account": {"name": self.account, "hedges": [_line_json(x) for x in self.lines]},
            "exchange": self.mode,
            "chain_id": s.chain_id,
            "block_number": s.block_number,
            "block_timestamp": s.block_timestamp,
            "stale_reason": s.stale_reason,
            "oracle_hf": _num(a.oracle_hf),
            "shadow_hf": _num(a.shadow_hf),
            "totals": None if self.totals is None else _totals_json(self.totals),
            "loops": self.loops.as_json(),
            "leadership": None if self.leadership is None else self.leadership.as_json(),
            "unmapped_tokens": list(a.unmapped_tokens),
            "assets": [_asset_json(x) for x in s.assets],
            "underlyings": [_underlying_json(u) for u in a.underlyings],
            "plan": [
                {
                    "symbol": i.symbol,
                    "side": i.side.value,
                    "quantity": str(i.quantity),
                    "reduce_only": i.reduce_only,
                    "reason": i.reason,
                }
                for i in a.plan.intents
            ],
            "notes": [n.message for n in a.plan.notes],
            "reserve_for_crash": None
            if self.reserve is None
            else {
                **_reserve_json(self.reserve),
                "basis": self.reserve_basis,
                "warning": self.reserve_warning,
            },
            "margin_for_hedge": None if self.margin is None else _margin_json(self.margin),
            "money_moves": [_move_json(m) for m in self.moves],
            "funding_24h": [_funding_json(f) for f in self.funding],
            "alerts_24h": [_alert_json(x) for x in self.alerts],
            "operator_actions": [_action_json(x) for x in self.actions],
        }


def _totals_json(t: PositionTotals) -> dict[str, Any]:
    return {
        "collateral_usd": str(t.collateral_usd),
        "debt_usd": str(t.debt_usd),
        "equity_usd": str(t.equity_usd),
        "chain_hf": _num(t.chain_hf),
        "common_crash_factor": _num(t.common_crash_factor),
        "crash_to_liquidation": _num(t.crash_to_liquidation),
    }


def _margin_json(m: MarginNeed) -> dict[str, Any]:
    return {
        "short_liq_distance": str(m.distance),
        "need_usd": str(m.need_usd),
        "have_usd": str(m.have_usd),
        "shortfall_usd": str(m.shortfall_usd),
        "by_symbol": {k: str(v) for k, v in m.by_symbol.items()},
        "warning": margin_warning(m),
    }


def margin_warning(m: MarginNeed) -> str | None:
    if not m.shortfall_usd > 0:
        return None
    return (
        f"the futures wallet holds ${m.have_usd:,.2f} of margin, ${m.shortfall_usd:,.2f} short "
        f"of the ${m.need_usd:,.2f} the wanted shorts need to stay {m.distance:.0%} from their "
        "liquidation prices: deposit margin (or configure capital:) before the hedge grows"
    )


def _alert_json(x: AlertRecord) -> dict[str, Any]:
    return {
        "at": x.created_at.isoformat(),
        "kind": x.kind,
        "severity": x.severity,
        "title": x.title,
        "sinks": list(x.sinks),
        "outcome": x.outcome,
    }


def _action_json(x: OperatorAction) -> dict[str, Any]:
    return {
        "at": x.created_at.isoformat(),
        "action": x.action,
        "actor": x.actor,
        "reason": x.reason,
        "position": x.position,
    }


def _funding_json(f: FundingRecord) -> dict[str, Any]:
    return {
        "symbol": f.symbol,
        "asset": f.asset,
        "amount": str(f.amount),
        "at": f.income_at.isoformat(),
        "transaction_id": f.transaction_id,
    }


def _move_json(m: MoveRecord) -> dict[str, Any]:
    i = m.intent
    return {
        "move_id": i.move_id,
        "kind": i.kind.value,
        "stage": m.stage.value,
        "coin": i.coin,
        "network": i.network,
        "address": i.address,
        "amount": str(i.amount),
        "fee": str(i.fee),
        "venue_status": m.venue_status,
        "tx_id": m.tx_id,
        "detail": m.detail,
        "created_at": m.created_at.isoformat(),
    }


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _asset_json(x: AssetPosition) -> dict[str, Any]:
    return {
        "symbol": x.symbol,
        "collateral": str(x.collateral),
        "debt": str(x.debt),
        "price_usd": str(x.price_usd),
        "liquidation_threshold": str(x.liquidation_threshold),
        "collateral_enabled": x.collateral_enabled,
    }


def _underlying_json(u: UnderlyingView) -> dict[str, Any]:
    return {
        "underlying": u.underlying,
        "symbol": u.symbol,
        "mark": str(u.mark),
        "liquidation_price": _num(u.liquidation_price),
        "liquidation_distance": _num(u.liquidation_distance),
        "current_short_usd": str(u.current_short_usd),
        "target_short_usd": str(u.target.short_usd),
        "reason": u.target.reason,
    }


def _line_json(x: AccountLine) -> dict[str, Any]:
    return {
        "underlying": x.underlying,
        "symbol": x.symbol,
        "target_short_usd": str(x.target.short_usd),
        "current_short_usd": str(x.current_short_usd),
        "shares": {
            name: {
                "target_short_usd": str(x.target_shares[name]),
                "current_short_usd": str(x.current_shares[name]),
            }
            for name in x.target_shares
        },
    }


def _reserve_json(r: CrashReserve) -> dict[str, Any]:
    return {
        "crash_fraction": str(r.crash_fraction),
        "symbol": r.symbol,
        "amount": str(r.amount),
        "hf_after_crash": str(r.hf_after_crash),
        "hf_after_repay": str(r.hf_after_repay),
        "feasible": r.feasible,
    }

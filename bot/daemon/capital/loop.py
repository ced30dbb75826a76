"""The exchange account's capital loop: settle the moves in flight -> read -> decide
(``decide_money_move``) -> start a move -> publish.

Moves already in the journal go first, every pass, so a restart settles each transfer by its
client id before anything new is decided; while one is open the policy only watches it (and
alerts when it is overdue). Deposits go only to the address written in the config, and only
while the exchange still reports that address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.capital import decide_money_move
from bot.core.capital_account import profit_to_realise
from bot.core.capital_model import AlertReason, CapitalRules, Direction, MoneyMove, Verdict
from bot.core.ids import client_order_id
from bot.daemon.board import MarketBoard, RealiseRequest
from bot.daemon.capital.desk import MoveDesk, StepResult
from bot.daemon.capital.publish import CapitalPublisher
from bot.daemon.capital.read import CapitalReading, CapitalReads
from bot.daemon.loops import LoopResult
from bot.journal import MoveIntent, MoveKind, MoveRecord

MAX_STEPS_PER_PASS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class Destinations:
    reserve_wallet: str  # where withdrawals go
    deposit_address: str | None  # where deposits go (config); None: deposits only alert


class CapitalLoop:
    def __init__(
        self,
        *,
        rules: CapitalRules,
        reads: CapitalReads,
        desk: MoveDesk,
        publisher: CapitalPublisher,
        destinations: Destinations,
        interval_secs: float,
        ms: Callable[[datetime], int],
        board: MarketBoard,
    ) -> None:
        self._board = board
        self.name = f"{reads.targets.account}:capital"
        self._rules = rules
        self._reads = reads
        self._desk = desk
        self._publisher = publisher
        self._to = destinations
        self._interval_secs = interval_secs
        self._ms = ms

    @property
    def interval_secs(self) -> float:
        return self._interval_secs

    def tick(self, now: datetime) -> LoopResult:
        """One pass at ``now``; never raises (a failed pass is tried again next time)."""
        try:
            note = self._step(now)
        except Exception as exc:
            self._publisher.failed(exc, now)
            return LoopResult(ok=False, next_interval_secs=self._interval_secs, note=str(exc))
        return LoopResult(ok=True, next_interval_secs=self._interval_secs, note=note)

    def stop(self, *, wait: bool) -> None:
        """Nothing runs beside the scheduler: a move's state lives in the journal."""

    def _step(self, now: datetime) -> str:
        if self._reads.treasury.can_move:
            for record in self._reads.open_moves():
                self._carry(record, now)
        reading = self._reads.read(now)
        if reading is None:
            self._publisher.waiting("no fresh view of the exchange account from the hedger")
            return "waiting for the hedger's view"
        move = decide_money_move(view=reading.view, rules=self._rules, now_ms=self._ms(now))
        if move.verdict is Verdict.MOVE and not reading.open_moves:
            move = self._start(move, now)
        if move.alert_reason is AlertReason.NO_WALLET_API:
            why = self._reads.treasury.why_not()
            move = replace(move, message=f"{move.message} ({why}; fees not known here)")
        self._publisher.decided(move, reading.view, now)
        self._ask_realise(move, reading, now)
        return move.message

    def _ask_realise(self, move: MoneyMove, reading: CapitalReading, now: datetime) -> None:
        """One request at a time, and none while a move is in flight (its balances move)."""
        if reading.open_moves or self._board.realise_pending():
            return
        wanted = profit_to_realise(
            move=move, view=reading.view, margin=reading.margin, rules=self._rules
        )
        if wanted > 0:
            self._publisher.realising(wanted, move.message)
            self._board.ask_realise(RealiseRequest(usd=wanted, at=now))

    def _carry(self, record: MoveRecord, now: datetime) -> None:
        """Steps that need no waiting (futures -> spot, then the request) go in one pass;
        a step that waits on the venue or the chain ends it: the history is read from the
        next pass on (read at once, it lists a withdrawal still processing, and a read costs
        a tenth of the minute's UID weight)."""
        for _ in range(MAX_STEPS_PER_PASS):
            result = self._desk.step(record, now)
            self._publisher.stepped(result, now)
            if not _goes_on(result):
                return
            record = result.record

    def _start(self, move: MoneyMove, now: datetime) -> MoneyMove:
        """Journal the intent, then take its first step; a deposit with no trusted address
        to send to becomes an alert with the same amounts."""
        address, refusal = self._address(move)
        if refusal is not None:
            reason, why = refusal
            return replace(
                move, verdict=Verdict.ALERT, alert_reason=reason,
                message=f"{move.message}; not sent: {why}",
            )  # fmt: skip
        kind = MoveKind.WITHDRAW if move.direction is Direction.WITHDRAW else MoveKind.DEPOSIT
        account = self._reads.targets.account
        intent = MoveIntent(
            # Deterministic: the account and the pass that decided it. The journaled intent,
            # not a recomputed id, is what a restart follows.
            move_id=client_order_id(account, self._ms(now), kind.value),
            kind=kind,
            account=account,
            coin=move.coin,
            network=move.network,
            address=address,
            amount=move.amount,
            fee=move.fee,
            reason=move.message[:200],
        )
        self._publisher.started(intent, now)
        result = self._desk.start(intent, now)
        self._publisher.stepped(result, now)
        if _goes_on(result):
            self._carry(result.record, now)
        return move

    def _address(self, move: MoneyMove) -> tuple[str, tuple[AlertReason, str] | None]:
        if move.direction is Direction.WITHDRAW:
            return self._to.reserve_wallet, None
        wanted = self._to.deposit_address
        if wanted is None:
            reported = self._reads.treasury.deposit_address(move.coin, move.network)
            why = (
                f"deposits go only to capital.deposit_address, which is not set (the exchange "
                f"reports {reported} for {move.coin} on {move.network})"
            )
            return "", (AlertReason.NO_DEPOSIT_ADDRESS, why)
        reported = self._reads.treasury.deposit_address(move.coin, move.network)
        if reported.lower() != wanted.lower():
            why = (
                f"the exchange reports {reported} as the {move.coin} {move.network} deposit "
                f"address, capital.deposit_address says {wanted}"
            )
            return "", (AlertReason.DEPOSIT_ADDRESS_CHANGED, why)
        return wanted, None


def _goes_on(result: StepResult) -> bool:
    """The move moved on to a stage this pass can carry further (not final, not waiting)."""
    stage = result.record.stage
    return result.changed and not (stage.final or stage.waits_on_venue)


__all__ = ["CapitalLoop", "Destinations"]

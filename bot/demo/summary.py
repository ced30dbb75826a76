"""The end-of-run account: what the crash did to the loan, the hedge and the reserve, and
every money move the capital loop made between the exchange and the reserve.

All money is USD at the lending protocol's oracle (lending side) or the exchange marks (hedge
side) at the end of the run. The net line adds everything the borrower owns across the three
places, so a repay (reserve -> less debt) or a withdrawal (exchange -> reserve) moves money
between lines without changing the net; only the withdrawal fee leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.table import Table

from bot.demo.liquidator import LiquidatorStats
from bot.demo.observe import Observation
from bot.demo.protocols import AAVE_WORDS, ChainWords
from bot.demo.recorder import EventKind, Recorder
from bot.journal import MoveKind, MoveRecord, MoveStage
from bot.watch.journal_tail import CycleCounts
from bot.watch.loops import NOT_YET, LoopsReading

ZERO = Decimal(0)
# A withdrawal has left the futures wallet from this stage on (to spot, then to the chain).
LEFT_FUTURES = (MoveStage.IN_SPOT, MoveStage.REQUESTED, MoveStage.DONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyMoveLine:
    """One withdrawal or deposit as the journal has it at the end of the run."""

    t: Decimal  # scenario seconds when it was decided
    kind: MoveKind
    coin: str
    amount: Decimal  # asked; a withdrawal's fee comes out of it
    fee: Decimal
    stage: MoveStage
    tx_id: str  # the chain transaction ("" until there is one)
    detail: str = ""

    @classmethod
    def of(cls, record: MoveRecord, *, t: Decimal) -> MoneyMoveLine:
        i = record.intent
        return cls(
            t=t, kind=i.kind, coin=i.coin, amount=i.amount, fee=i.fee, stage=record.stage,
            tx_id=record.tx_id, detail=record.detail,
        )  # fmt: skip

    @property
    def done(self) -> bool:
        return self.stage is MoveStage.DONE

    @property
    def received(self) -> Decimal:
        """What reached the other side: the reserve (amount less fee) or the margin."""
        if not self.done:
            return ZERO
        return self.amount - self.fee if self.kind is MoveKind.WITHDRAW else self.amount

    def as_json(self) -> dict[str, Any]:
        return {
            "t": str(self.t),
            "kind": self.kind.value,
            "coin": self.coin,
            "amount": str(self.amount),
            "fee": str(self.fee),
            "received": str(self.received),
            "stage": self.stage.value,
            "tx_id": self.tx_id,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSummary:
    protect: bool
    runtime_secs: float
    speed: float
    prices: dict[str, tuple[Decimal, Decimal, Decimal]]  # underlying -> (start, low, end) mark
    collateral_start: dict[str, Decimal]
    collateral_end: dict[str, Decimal]
    collateral_start_usd: Decimal
    collateral_end_usd: Decimal
    debt_start_usd: Decimal
    debt_end_usd: Decimal
    hf_start: Decimal
    hf_min: Decimal
    hf_end: Decimal
    defi_equity_start_usd: Decimal
    defi_equity_end_usd: Decimal
    reserve_start: Decimal
    reserve_end: Decimal
    repays_mined: int
    repaid_usd: Decimal
    orders_filled: int
    hedge_pnl_usd: Decimal  # realized + unrealized futures PnL
    fees_usd: Decimal
    funding_usd: Decimal
    exchange_equity_change_usd: Decimal  # includes the BNB margin's own price move
    liquidation_attempts: int
    liquidation_reverts: int
    liquidator_errors: int
    liquidations: int
    seized: dict[str, Decimal]  # collateral token -> units taken by the liquidator
    liquidated_debt_usd: Decimal
    seized_usd: Decimal  # at the oracle price of each liquidation's block
    cycles: CycleCounts
    loops: LoopsReading = NOT_YET
    reserve_symbol: str = "USDT"
    reserve_low: Decimal = ZERO  # the lowest the reserve went during the run
    capital_loop: bool = False
    moves: tuple[MoneyMoveLine, ...] = field(default_factory=tuple)

    @property
    def withdrawals(self) -> tuple[MoneyMoveLine, ...]:
        return tuple(m for m in self.moves if m.kind is MoveKind.WITHDRAW)

    @property
    def deposits(self) -> tuple[MoneyMoveLine, ...]:
        return tuple(m for m in self.moves if m.kind is MoveKind.DEPOSIT)

    @property
    def withdrawn_usd(self) -> Decimal:
        """What withdrawals took out of the futures wallet, fees included."""
        return sum((m.amount for m in self.withdrawals if m.stage in LEFT_FUTURES), ZERO)

    @property
    def received_usd(self) -> Decimal:
        """What withdrawals brought to the reserve."""
        return sum((m.received for m in self.withdrawals), ZERO)

    @property
    def withdraw_fees_usd(self) -> Decimal:
        return sum((m.fee for m in self.withdrawals if m.done), ZERO)

    @property
    def deposited_usd(self) -> Decimal:
        return sum((m.received for m in self.deposits), ZERO)

    @property
    def defi_equity_change_usd(self) -> Decimal:
        return self.defi_equity_end_usd - self.defi_equity_start_usd

    @property
    def reserve_used(self) -> Decimal:
        return self.reserve_start - self.reserve_end

    @property
    def liquidation_penalty_usd(self) -> Decimal:
        """Collateral value handed to the liquidator beyond the debt it repaid (the bonus)."""
        return self.seized_usd - self.liquidated_debt_usd

    @property
    def margin_revaluation_usd(self) -> Decimal:
        """What the margin assets' own price move did (BNB falls with the market); money
        moved out of or into the account is not a change of value."""
        return (
            self.exchange_equity_change_usd
            + self.withdrawn_usd
            - self.deposited_usd
            - self.hedge_pnl_usd
            + self.fees_usd
            - self.funding_usd
        )

    @property
    def net_change_usd(self) -> Decimal:
        return self.defi_equity_change_usd - self.reserve_used + self.exchange_equity_change_usd

    @property
    def collateral_kept(self) -> bool:
        return all(
            self.collateral_end.get(t, ZERO) >= units for t, units in self.collateral_start.items()
        )

    def as_json(self) -> dict[str, Any]:
        def s(value: Decimal) -> str:
            return str(value)

        return {
            "protect": self.protect,
            "runtime_secs": round(self.runtime_secs, 1),
            "speed": self.speed,
            "prices": {u: [s(a), s(b), s(c)] for u, (a, b, c) in self.prices.items()},
            "collateral_start": {k: s(v) for k, v in self.collateral_start.items()},
            "collateral_end": {k: s(v) for k, v in self.collateral_end.items()},
            "collateral_kept": self.collateral_kept,
            "collateral_start_usd": s(self.collateral_start_usd),
            "collateral_end_usd": s(self.collateral_end_usd),
            "debt_start_usd": s(self.debt_start_usd),
            "debt_end_usd": s(self.debt_end_usd),
            "hf_start": s(self.hf_start),
            "hf_min": s(self.hf_min),
            "hf_end": s(self.hf_end),
            "defi_equity_change_usd": s(self.defi_equity_change_usd),
            "reserve_symbol": self.reserve_symbol,
            "reserve_start": s(self.reserve_start),
            "reserve_low": s(self.reserve_low),
            "reserve_end": s(self.reserve_end),
            "reserve_used": s(self.reserve_used),
            "capital_loop": self.capital_loop,
            "money_moves": [m.as_json() for m in self.moves],
            "withdrawn_usd": s(self.withdrawn_usd),
            "received_usd": s(self.received_usd),
            "withdraw_fees_usd": s(self.withdraw_fees_usd),
            "deposited_usd": s(self.deposited_usd),
            "repays_mined": self.repays_mined,
            "repaid_usd": s(self.repaid_usd),
            "orders_filled": self.orders_filled,
            "hedge_pnl_usd": s(self.hedge_pnl_usd),
            "fees_usd": s(self.fees_usd),
            "funding_usd": s(self.funding_usd),
            "margin_revaluation_usd": s(self.margin_revaluation_usd),
            "exchange_equity_change_usd": s(self.exchange_equity_change_usd),
            "net_change_usd": s(self.net_change_usd),
            "liquidation_attempts": self.liquidation_attempts,
            "liquidation_reverts": self.liquidation_reverts,
            "liquidator_errors": self.liquidator_errors,
            "liquidations": self.liquidations,
            "seized": {k: s(v) for k, v in self.seized.items()},
            "liquidated_debt_usd": s(self.liquidated_debt_usd),
            "seized_usd": s(self.seized_usd),
            "liquidation_penalty_usd": s(self.liquidation_penalty_usd),
            "cycles": {
                "ok": self.cycles.ok,
                "skipped": self.cycles.skipped,
                "failed": self.cycles.failed,
            },
            "loops": self.loops.as_json(),
        }


def summarize(
    *,
    protect: bool,
    runtime_secs: float,
    speed: float,
    start: Observation,
    end: Observation,
    recorder: Recorder,
    liquidator: LiquidatorStats,
    cycles: CycleCounts,
    orders_filled: int,
    loops: LoopsReading = NOT_YET,
    reserve_symbol: str = "USDT",
    capital_loop: bool = False,
    moves: Sequence[MoneyMoveLine] = (),
) -> DemoSummary:
    prices: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for underlying in recorder.samples[0].marks if recorder.samples else {}:
        series = [smp.marks[underlying] for smp in recorder.samples]
        prices[underlying] = (series[0], min(series), series[-1])
    seized: dict[str, Decimal] = {}
    for liq in liquidator.liquidations:
        seized[liq.collateral] = seized.get(liq.collateral, ZERO) + liq.collateral_amount
    repays = recorder.of_kind(EventKind.REPAY)
    ex0, ex1 = start.exchange, end.exchange
    hf_min = recorder.min_hf()
    return DemoSummary(
        protect=protect,
        runtime_secs=runtime_secs,
        speed=speed,
        prices=prices,
        collateral_start=dict(start.chain.collateral),
        collateral_end=dict(end.chain.collateral),
        collateral_start_usd=start.chain.collateral_usd,
        collateral_end_usd=end.chain.collateral_usd,
        debt_start_usd=start.chain.debt_usd,
        debt_end_usd=end.chain.debt_usd,
        hf_start=start.chain.oracle_hf,
        hf_min=min(hf_min, end.chain.oracle_hf) if hf_min is not None else end.chain.oracle_hf,
        hf_end=end.chain.oracle_hf,
        defi_equity_start_usd=start.chain.equity_usd,
        defi_equity_end_usd=end.chain.equity_usd,
        reserve_start=start.reserve,
        reserve_end=end.reserve,
        repays_mined=len(repays),
        repaid_usd=sum((e.amount_usd for e in repays), ZERO),
        orders_filled=orders_filled,
        hedge_pnl_usd=(ex1.realized_pnl_usd + ex1.unrealized_pnl_usd)
        - (ex0.realized_pnl_usd + ex0.unrealized_pnl_usd),
        fees_usd=ex1.fees_usd - ex0.fees_usd,
        funding_usd=ex1.funding_usd - ex0.funding_usd,
        exchange_equity_change_usd=ex1.equity_usd - ex0.equity_usd,
        liquidation_attempts=liquidator.attempts,
        liquidation_reverts=liquidator.reverted,
        liquidator_errors=liquidator.errors,
        liquidations=liquidator.succeeded,
        seized=seized,
        liquidated_debt_usd=sum((liq.debt_covered for liq in liquidator.liquidations), ZERO),
        seized_usd=sum((liq.collateral_usd for liq in liquidator.liquidations), ZERO),
        cycles=cycles,
        loops=loops,
        reserve_symbol=reserve_symbol,
        reserve_low=min([start.reserve, end.reserve, *(smp.reserve for smp in recorder.samples)]),
        capital_loop=capital_loop,
        moves=tuple(moves),
    )


def usd(value: Decimal, *, signed: bool = False) -> str:
    text = f"{value:+,.0f}" if signed else f"{value:,.0f}"
    return text.replace("-", "−") + " $"


def _units(values: dict[str, Decimal]) -> str:
    parts = []
    for symbol, units in sorted(values.items()):
        shown = units.quantize(Decimal("0.0001")).normalize()
        parts.append(f"{shown:f} {symbol}")
    return ", ".join(parts) or "none"


def summary_table(s: DemoSummary, words: ChainWords = AAVE_WORDS) -> Table:
    mode = (
        "PROTECTED: hedge + repay from reserve"
        if s.protect
        else "UNPROTECTED: hedge only, no repay"
    )
    table = Table(title=f"hedgebot demo, {mode}", title_justify="left", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for u, (a, low, end) in s.prices.items():
        table.add_row(
            f"{u} price", f"{a:,.0f} -> low {low:,.0f} ({(low / a - 1) * 100:+.0f} %) -> {end:,.0f}"
        )
    kept = "[green]all kept[/]" if s.collateral_kept else "[bold red]lost to the liquidator[/]"
    table.add_row(
        "collateral units", f"{_units(s.collateral_start)} -> {_units(s.collateral_end)}: {kept}"
    )
    table.add_row(
        "collateral value", f"{usd(s.collateral_start_usd)} -> {usd(s.collateral_end_usd)}"
    )
    paid_by = (f"reserve repaid {s.repaid_usd:,.0f}" if s.repays_mined else "no repay") + (
        f", liquidator repaid {s.liquidated_debt_usd:,.0f}" if s.liquidations else ""
    )
    table.add_row("debt", f"{usd(s.debt_start_usd)} -> {usd(s.debt_end_usd)} ({paid_by})")
    table.add_row("oracle HF", f"{s.hf_start:.3f} -> min {s.hf_min:.3f} -> end {s.hf_end:.3f}")
    table.add_row("DeFi equity change", usd(s.defi_equity_change_usd, signed=True))
    sym = s.reserve_symbol
    table.add_row(
        "reserve",
        f"{s.reserve_start:,.0f} -> low {s.reserve_low:,.0f} -> end {s.reserve_end:,.0f} {sym}; "
        f"repaid {s.repaid_usd:,.0f} in {s.repays_mined} repay(s)",
    )
    if not s.moves:
        table.add_row("money moves", "none" if s.capital_loop else "none (the capital loop is off)")
    if s.withdrawals:
        done = sum(1 for m in s.withdrawals if m.done)
        table.add_row(
            "reserve refilled",
            f"{s.received_usd:,.0f} {sym} from the exchange in {done} withdrawal(s)",
        )
    numbers = {MoveKind.WITHDRAW: 0, MoveKind.DEPOSIT: 0}
    for m in s.moves:
        numbers[m.kind] += 1
        noun = "withdrawal" if m.kind is MoveKind.WITHDRAW else "deposit"
        way = "to the reserve" if m.kind is MoveKind.WITHDRAW else "to the margin"
        stage = "[green]done[/]" if m.done else f"[bold yellow]{m.stage.value}[/]"
        tx = f", tx {m.tx_id[:18]}…" if m.tx_id else ""
        failed = f" ({m.detail})" if m.stage is MoveStage.FAILED and m.detail else ""
        table.add_row(
            f"{noun} {numbers[m.kind]}",
            f"t={m.t:.0f}s {m.amount:,.2f} {m.coin} {way}, fee {m.fee:,.2f}, received "
            f"{m.received:,.2f}, {stage}{failed}{tx}",
        )
    table.add_row(
        "hedge PnL", f"{usd(s.hedge_pnl_usd, signed=True)} ({s.orders_filled} orders filled)"
    )
    table.add_row("fees", usd(-s.fees_usd, signed=True))
    table.add_row("funding", usd(s.funding_usd, signed=True))
    if s.withdrawals:
        table.add_row("withdrawal fees", usd(-s.withdraw_fees_usd, signed=True))
    table.add_row("BNB margin revaluation", usd(s.margin_revaluation_usd, signed=True))
    if s.liquidations:
        table.add_row(
            "liquidation penalty",
            f"{usd(-s.liquidation_penalty_usd, signed=True)} (seized {_units(s.seized)} "
            f"worth {usd(s.seized_usd)} for {usd(s.liquidated_debt_usd)} of debt)",
        )
    table.add_row("net change, all accounts", usd(s.net_change_usd, signed=True))
    liq_style = "green" if s.liquidations == 0 else "bold red"
    table.add_row(
        "liquidator",
        f"{s.liquidation_attempts} {words.liquidation_call} attempts, "
        f"{s.liquidation_reverts} {words.refused} ({words.refused_why}), "
        f"[{liq_style}]{s.liquidations} succeeded[/]"
        + (f", {s.liquidator_errors} other errors" if s.liquidator_errors else ""),
    )
    for row in s.loops.rows:
        noun = "reads" if row.loop == "guard" else "cycles"
        table.add_row(
            f"daemon: {row.loop}",
            f"{row.state}, {row.runs} {noun} completed, {row.failed} failed; {row.detail}",
        )
    table.add_row("runtime", f"{s.runtime_secs:.0f} s at speed {s.speed:g}")
    return table


__all__ = ["DemoSummary", "MoneyMoveLine", "summarize", "summary_table", "usd"]

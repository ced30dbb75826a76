"""``hedgebot demo``: the whole system through a scripted crash, on a local stack.

anvil with the cached real deployment of the lending protocol (``--protocol``: Aave v3, or the
Venus core pool; ``bot.demo.chains``), a borrower (anvil account 2: 1 WBTC + 10 WETH on Aave,
BTCB + ETH + BNB on Venus, USDT debt at HF ~1.5, a USDT reserve in the wallet), the Binance
Futures emulator with BNB margin on USD-M and its wallet settling on anvil (account 7 pays
withdrawals), the daemon as a child process on ``config/demo.yaml`` (addresses and ports
through ``HEDGEBOT__`` overrides), and a liquidator (account 3) trying ``liquidationCall``
(Venus: ``liquidateBorrow``) on every block. The market script moves the exchange marks; the
oracle feeds follow in steps. Everything started here is stopped on the way out, Ctrl-C and
SIGTERM included.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.live import Live

from bot.config import load_config
from bot.config.convert import token_mapping
from bot.core.reserve import reserve_for_crash
from bot.daemon.wiring import reader_for
from bot.demo.chains import start_demo_chain
from bot.demo.chart import write_chart
from bot.demo.daemon_process import DaemonProcess, DemoError, daemon_env
from bot.demo.interrupts import raise_if_interrupted, sigterm_as_interrupt
from bot.demo.liquidator import LiquidatorBot
from bot.demo.live_view import ViewModel, event_line, render
from bot.demo.loops import LoopsWatch
from bot.demo.observe import Observation, Observer
from bot.demo.recorder import Event, EventKind, Recorder, Sample
from bot.demo.scenario import Scenario, crash_scenario
from bot.demo.services import write_daemon_config
from bot.demo.stack import (
    DEMO_CONFIG,
    HOT_WALLET_INDEX,
    LIQUIDATOR_INDEX,
    DemoSettings,
    StackUrls,
    cadence_overrides,
    checkpoint,
    prepare_stack,
    remove_journal,
    token_balance,
)
from bot.demo.summary import DemoSummary, MoneyMoveLine, summarize, summary_table
from bot.emulator.testing import running_emulator
from bot.journal import MoveKind, MoveRecord, MoveStage
from bot.watch.events import (
    is_repay,
    move_decided_text,
    move_received,
    move_stage_text,
    order_text,
    tx_text,
)
from bot.watch.journal_tail import JournalTail, OrderEvent, TxEvent

TICK_SECS = 0.1  # wall seconds between market steps and observations
READY_TIMEOUT_SECS = 90.0
# After the market script: how long money moves still in flight may take to settle (a capital
# pass every 6 s follows each one; a loaded CI machine is slower).
SETTLE_TIMEOUT_SECS = 45.0
SETTLING = "after the script: the money moves in flight settle"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    protect: bool
    summary: DemoSummary
    chart_path: Path
    summary_path: Path  # JSON: the summary, every sample and event
    daemon_log: Path
    journal_path: Path
    daemon_exit_code: int | None
    reserve_needed_usd: Decimal  # to hold the repay target through the scenario's worst drop

    @property
    def liquidations(self) -> int:
        return self.summary.liquidations

    @property
    def repays_mined(self) -> int:
        return self.summary.repays_mined

    @property
    def collateral_kept(self) -> bool:
        return self.summary.collateral_kept

    @property
    def hf_end(self) -> Decimal:
        return self.summary.hf_end


class _Run:
    """The state of one demo run between set-up and summary."""

    def __init__(
        self, *, speed: float, scenario: Scenario, console: Console, headless: bool
    ) -> None:
        self.speed = speed
        self.console = console
        self.headless = headless
        self.recorder = Recorder()
        self.t0_wall = 0.0  # monotonic at scenario t = 0
        self.t0_epoch = 0.0  # epoch seconds at scenario t = 0
        self.liquidations_seen = 0
        self.repays = 0
        self.repaid = Decimal(0)
        self.orders_filled = 0
        self.symbols = {a.underlying: a.symbol for a in scenario.assets}
        self.token_by_address: dict[str, str] = {}
        self.moved: dict[MoveKind, list[Decimal]] = {MoveKind.WITHDRAW: [], MoveKind.DEPOSIT: []}

    def scenario_t(self, epoch_secs: float) -> Decimal:
        return Decimal(str(round(max(0.0, epoch_secs - self.t0_epoch) * self.speed, 2)))

    def emit(self, event: Event) -> None:
        self.recorder.event(event)
        if self.headless:
            self.console.print(event_line(event))

    def order_event(self, o: OrderEvent) -> None:
        if o.executed_quantity > 0:
            self.orders_filled += 1
        t = self.scenario_t(o.recorded_ms / 1000)
        self.emit(Event(t=t, kind=EventKind.ORDER, text=order_text(o)))

    def move_event(self, record: MoveRecord, new: bool) -> None:
        """A withdrawal or deposit at the stage it reached; one decided first when the move
        was already further on at its first sighting."""
        i = record.intent
        kind = EventKind.WITHDRAWAL if i.kind is MoveKind.WITHDRAW else EventKind.DEPOSIT
        if new:
            t = self.scenario_t(record.created_at.timestamp())
            self.emit(Event(t=t, kind=kind, text=move_decided_text(record)))
            if record.stage is MoveStage.INTENT:
                return
        amount = Decimal(0)
        if record.stage is MoveStage.DONE:
            amount = move_received(record)
            self.moved[i.kind].append(amount)
        t = self.scenario_t(record.updated_at.timestamp())
        self.emit(Event(t=t, kind=kind, text=move_stage_text(record), amount_usd=amount))

    def tx_event(self, tx: TxEvent) -> None:
        symbol = self.token_by_address.get((tx.asset or "").lower(), tx.asset or "?")
        t = self.scenario_t(tx.updated_ms / 1000)
        text = tx_text(tx, symbol)
        if is_repay(tx):
            amount = tx.amount or Decimal(0)
            self.repays += 1
            self.repaid += amount
            self.emit(Event(t=t, kind=EventKind.REPAY, amount_usd=amount, text=text))
            return
        self.emit(Event(t=t, kind=EventKind.TX, text=text))


def _drain(run: _Run, tail: JournalTail, liquidator: LiquidatorBot) -> None:
    for order in tail.new_orders():
        run.order_event(order)
    for tx in tail.new_txs():
        run.tx_event(tx)
    for record, new in tail.new_moves():
        run.move_event(record, new)
    stats = liquidator.stats()
    for liq in stats.liquidations[run.liquidations_seen :]:
        t = Decimal(str(round(max(0.0, liq.at_secs - run.t0_wall) * run.speed, 2)))
        run.emit(
            Event(
                t=t,
                kind=EventKind.LIQUIDATION,
                amount_usd=liq.debt_covered,
                text=f"liquidator seized {liq.collateral_amount:.4f} "
                f"{liq.collateral} for {liq.debt_covered:,.2f} {liq.debt} of debt "
                f"in block {liq.block}",
            )
        )
    run.liquidations_seen = len(stats.liquidations)


def _sample(run: _Run, t: Decimal, obs: Observation, targets: dict[str, Decimal]) -> Sample:
    return Sample(
        t=t,
        marks={u: obs.exchange.marks[s] for u, s in run.symbols.items()},
        oracle=dict(obs.chain.oracle_usd),
        oracle_hf=obs.chain.oracle_hf,
        shadow_hf=obs.chain.shadow_hf,
        liquidation_usd=dict(obs.chain.liquidation_usd),
        short_usd={u: obs.exchange.short_usd.get(s, Decimal(0)) for u, s in run.symbols.items()},
        target_usd=dict(targets),
        reserve=obs.reserve,
        debt_usd=obs.chain.debt_usd,
    )


def run_demo(
    *,
    protocol: str = "aave",
    protect: bool = True,
    headless: bool = False,
    speed: float = 1.0,
    out_dir: Path = Path("reports/demo"),
    console: Console | None = None,
) -> DemoResult:
    """Run the crash once on ``protocol``'s chain (``bot.demo.chains``: "aave", "venus"),
    with (``protect``) or without repay protection. Returns the figures; writes
    ``demo-<mode>.png`` (Venus: ``demo-venus-<mode>.png``), its JSON, the daemon log and
    journal to ``out_dir``. Raises ``DemoError`` when a part of the stack misbehaves and lets
    KeyboardInterrupt through after stopping everything."""
    if not (speed > 0 and math.isfinite(speed)):
        raise ValueError(f"speed must be a positive number, got {speed}")
    console = console or Console()
    label = "protected" if protect else "unprotected"
    chain_context = start_demo_chain(protocol)  # an unknown name fails before anything starts
    settings = DemoSettings()
    scenario = crash_scenario()
    started = time.monotonic()

    with sigterm_as_interrupt(), ExitStack() as stack:
        console.print(f"[bold]hedgebot demo ({label})[/]: starting anvil and the emulator")
        chain = stack.enter_context(chain_context)
        words = chain.words
        console.print(f"  anvil with the real {words.protocol} deployment at {chain.rpc_url}")
        out_dir.mkdir(parents=True, exist_ok=True)
        journal_path = out_dir / f"journal-{chain.file_tag}{label}.db"
        log_path = out_dir / f"daemon-{chain.file_tag}{label}.log"
        config_path = out_dir / f"daemon-{chain.file_tag}{label}.yaml"
        chart_path = out_dir / f"demo-{chain.file_tag}{label}.png"
        summary_path = out_dir / f"demo-{chain.file_tag}{label}.json"
        remove_journal(journal_path)
        em = stack.enter_context(running_emulator())
        prepared = prepare_stack(
            stack,
            chain,
            em,
            settings=settings,
            start_marks={a.underlying: (a.symbol, a.start_usd) for a in scenario.assets},
            protect=protect,
            speed=speed,
            journal=journal_path,
            urls=StackUrls(rpc_url=chain.rpc_url, exchange_url=em.base_url),
        )
        stack.callback(em.control.unlink_chain)  # before the emulator and anvil stop
        borrower, debt = prepared.borrower, prepared.debt
        deposit_address = prepared.deposit_address
        liquidator_addr = chain.account(LIQUIDATOR_INDEX)
        chain.arm_liquidator(liquidator_addr, settings.debt_symbol, settings.liquidator_funds)

        # An ephemeral metrics port: a demo next to a running daemon must not collide.
        overrides = {**prepared.overrides, "HEDGEBOT__METRICS__PORT": "0"}
        base_config = load_config(
            DEMO_CONFIG, env=daemon_env(os.environ, overrides=overrides, secrets={})
        )
        overrides.update(cadence_overrides(base_config, speed))
        daemon_config = write_daemon_config(config_path, overrides)
        env = daemon_env(os.environ, overrides={}, secrets=prepared.secrets)
        config = load_config(daemon_config, env=env)
        position = config.positions[0]
        trigger = target = None
        if protect and config.protect is not None and config.protect.enabled:
            trigger, target = config.protect.trigger_hf, config.protect.target_hf

        run = _Run(speed=speed, scenario=scenario, console=console, headless=headless)
        run.token_by_address = chain.token_symbols()
        reader = reader_for(position)
        reader.start()
        observer = Observer(
            reader=reader,
            wallet=borrower,
            mapping=token_mapping(config),
            control=em.control,
            api_key=em.api_key,
            symbol_for_underlying=config.hedge.symbols,
            reserve_balance=lambda: token_balance(chain, settings.debt_symbol, borrower),
            oracle_price=lambda u: chain.price(chain.oracle_tokens[u]),
            clock=lambda: int(time.time()),
        )
        start_obs = observer.observe()
        snapshot = reader.snapshot(borrower, now=int(time.time()))
        stables = [t for t, m in config.tokens.items() if m.underlying == "USD"]
        floor = target if target is not None else Decimal(1)
        need = reserve_for_crash(
            snapshot,
            crash_fraction=scenario.worst_drop,
            repay_symbol=settings.debt_symbol,
            stable_symbols=stables,
            floor_hf=floor,
        )
        need_liq = reserve_for_crash(
            snapshot,
            crash_fraction=scenario.worst_drop,
            repay_symbol=settings.debt_symbol,
            stable_symbols=stables,
        )
        collateral = ", ".join(f"{v} {k}" for k, v in chain.collateral.items())
        console.print(
            f"  borrower {borrower}: {collateral} supplied, {debt:,} {settings.debt_symbol} "
            f"borrowed, oracle HF {start_obs.chain.oracle_hf:.3f}"
        )
        console.print(
            f"  reserve {settings.reserve:,} {settings.debt_symbol} in the wallet; a "
            f"{scenario.worst_drop * 100:.0f} % crash needs {need_liq.amount:,.0f} to stay above "
            f"HF 1" + (f" and {need.amount:,.0f} to get back to HF {floor}" if target else "")
        )
        capital = config.capital if config.capital and config.capital.enabled else None
        if protect and need.amount > settings.reserve:
            console.print(
                f"  [bold yellow]the reserve is {need.amount - settings.reserve:,.0f} "
                f"{settings.debt_symbol} short of what the repay target needs at the low[/]"
                + ("; the capital loop refills it from the hedge's profit" if capital else "")
            )
        margin = " + ".join(
            f"{v:,.0f} {k}" for k, v in sorted(start_obs.exchange.wallets.items()) if v
        )
        console.print(
            f"  exchange: {margin} margin on USD-M; hedge policy "
            f"{config.hedge.policy.kind}, "
            + (
                f"repay below HF {trigger} up to {target}"
                if protect
                else "[bold red]repay protection OFF[/] (no wallet key, protect.enabled=false)"
            )
        )
        if capital is not None:
            console.print(
                f"  capital loop every {capital.interval_secs:g}s: withdraws {capital.coin} to "
                f"refill the reserve to {capital.reserve_target_usd:,} (fee "
                f"{settings.withdraw_fee} per withdrawal, paid on anvil by account "
                f"{HOT_WALLET_INDEX}), deposits margin to {deposit_address[:10]}.. in a rally"
            )
        else:
            console.print("  capital loop OFF: nothing moves between the exchange and the reserve")
        if speed != 1:
            console.print(
                f"  speed x{speed:g}: daemon cadence {config.schedule.interval_secs}s / "
                f"{config.schedule.fast_interval_secs}s fast"
            )

        liquidator = stack.enter_context(
            chain.liquidator(
                liquidator=liquidator_addr, borrower=borrower, debt=settings.debt_symbol
            )
        )
        daemon = stack.enter_context(DaemonProcess(daemon_config, env=env, log_path=log_path))
        tail = JournalTail(journal_path)
        stack.callback(tail.close)
        loops = LoopsWatch(log_path, position.name)
        console.print(f"  daemon pid {daemon.pid} starting (log {log_path})")
        daemon.wait_ready(lambda: tail.cycle_counts().ok > 0, timeout_secs=READY_TIMEOUT_SECS)
        console.print("  daemon running its first cycles; the market script starts now")

        run.t0_wall, run.t0_epoch = time.monotonic(), time.time()
        feeds = scenario.initial_feeds()
        targets: dict[str, Decimal] = {}
        live: Live | None = None
        if not headless:
            live = stack.enter_context(Live(console=console, refresh_per_second=8, transient=False))
        last_phase = ""
        obs = start_obs
        t = Decimal(0)
        settle_until: float | None = None  # set when the script is over
        while True:
            elapsed = time.monotonic() - run.t0_wall
            t = Decimal(str(round(elapsed * speed, 2)))
            raise_if_interrupted()
            if t > scenario.duration_secs:
                # The market holds its last prices while the moves in flight settle.
                if settle_until is None:
                    settle_until = time.monotonic() + SETTLE_TIMEOUT_SECS
                if not tail.open_moves() or time.monotonic() > settle_until:
                    break
                t = scenario.duration_secs
            for underlying, mark in scenario.marks_at(t).items():
                em.control.set_mark(run.symbols[underlying], mark)
            feeds, changed = scenario.step_feeds(feeds, t)
            for underlying, price in changed.items():
                chain.set_price(chain.oracle_tokens[underlying], price)
            if not daemon.alive():
                raise DemoError(
                    f"the daemon stopped during the run; log {log_path}:\n{daemon.log_tail()}"
                )
            obs = observer.observe()
            loops.poll()
            cycle = tail.latest_cycle()
            if cycle is not None:
                targets = cycle.targets_usd
            _drain(run, tail, liquidator)
            run.recorder.add(_sample(run, t, obs, targets))
            phase = scenario.phase_at(t) if settle_until is None else SETTLING
            if headless and phase != last_phase:
                g, h = loops.latest.rows
                console.print(
                    f"[magenta]t={t:6.1f}s  {phase}[/]  oracle HF {obs.chain.oracle_hf:.3f}"
                    f"  guard {g.state} ({g.runs} reads)  hedger {h.state} ({h.runs} cycles)"
                )
            last_phase = phase
            if live is not None:
                live.update(
                    render(
                        ViewModel(
                            title=f"hedgebot demo on {words.protocol}: {label}",
                            t=t,
                            duration=scenario.duration_secs,
                            phase=phase,
                            speed=speed,
                            observation=obs,
                            symbols=run.symbols,
                            start_marks={a.underlying: a.start_usd for a in scenario.assets},
                            targets=targets,
                            trigger_hf=trigger,
                            target_hf=target,
                            liquidator=liquidator.stats(),
                            events=run.recorder.events[-12:],
                            repays=run.repays,
                            repaid_usd=run.repaid,
                            loops=loops.latest,
                            reserve_symbol=settings.debt_symbol,
                            withdrawals=len(run.moved[MoveKind.WITHDRAW]),
                            withdrawn_usd=sum(run.moved[MoveKind.WITHDRAW], Decimal(0)),
                            deposits=len(run.moved[MoveKind.DEPOSIT]),
                            deposited_usd=sum(run.moved[MoveKind.DEPOSIT], Decimal(0)),
                            words=words,
                        )
                    )
                )
            pause = TICK_SECS - (time.monotonic() - run.t0_wall - elapsed)
            if pause > 0:
                time.sleep(pause)

        liquidator.stop()
        loops.poll()  # the last reading, before the daemon and its metrics go
        daemon.stop()
        _drain(run, tail, liquidator)
        end_obs = observer.observe()
        run.recorder.add(_sample(run, t, end_obs, targets))
        if live is not None:
            live.stop()
        stats = liquidator.stats()
        summary = summarize(
            protect=protect,
            runtime_secs=time.monotonic() - started,
            speed=speed,
            start=start_obs,
            end=end_obs,
            recorder=run.recorder,
            liquidator=stats,
            cycles=tail.cycle_counts(),
            orders_filled=run.orders_filled,
            loops=loops.latest,
            reserve_symbol=settings.debt_symbol,
            capital_loop=capital is not None,
            moves=[
                MoneyMoveLine.of(m, t=run.scenario_t(m.created_at.timestamp()))
                for m in tail.moves()
            ],
        )
    # Everything is stopped here (the stack unwound); what remains is writing files.
    checkpoint(journal_path)
    title = (
        f"hedgebot demo on {words.protocol}, {label}\n{summary.liquidations} liquidation(s), "
        f"{summary.repays_mined} repay(s), {len(summary.withdrawals)} withdrawal(s), "
        f"HF {summary.hf_start:.2f} -> min {summary.hf_min:.2f} -> {summary.hf_end:.2f}"
    )
    write_chart(
        run.recorder,
        chart_path,
        title=title,
        trigger_hf=trigger,
        target_hf=target,
        phases=scenario.phases,
        withdrawals=[(m.t, m.received) for m in summary.withdrawals if m.done],
        oracle_label=words.oracle,
    )
    summary_path.write_text(
        json.dumps(
            {
                "summary": summary.as_json(),
                "reserve_needed_for_target_usd": str(need.amount_usd),
                "reserve_needed_for_hf1_usd": str(need_liq.amount_usd),
                "daemon_exit_code": daemon.returncode,
                **run.recorder.as_json(),
            },
            indent=1,
        )
    )
    console.print(summary_table(summary, words))
    console.print(f"chart: {chart_path}   figures: {summary_path}   daemon log: {log_path}")
    return DemoResult(
        protect=protect,
        summary=summary,
        chart_path=chart_path,
        summary_path=summary_path,
        daemon_log=log_path,
        journal_path=journal_path,
        daemon_exit_code=daemon.returncode,
        reserve_needed_usd=need.amount_usd,
    )


__all__ = ["DemoResult", "run_demo"]

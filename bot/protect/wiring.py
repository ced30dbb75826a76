"""The daemon's repay stage: decide with ``bot.protect.policy``, act with ``ProtectExecutor``.

Built by ``protector_factory`` from the config; the daemon calls ``run`` once per cycle with
the snapshot it already read (no extra chain read for the decision, one for the reserve).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import structlog
from web3 import Web3

from bot.alerts import events as alert_events
from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.abis import load_abi
from bot.config.models import HedgebotConfig, ProtectConfig
from bot.core.model import PositionSnapshot
from bot.journal import Journal, TxStatus
from bot.protect.aave_errors import explain_revert
from bot.protect.executor import ProtectExecutor
from bot.protect.params import ProtectParams
from bot.protect.policy import ReserveBalance, decide
from bot.protect.reserve import refill_report
from bot.wallet.signer import SignerError, load_signer
from bot.wallet.txmanager import TxManager

log = structlog.get_logger(__name__)


def protect_params(config: ProtectConfig, stable_symbols: Sequence[str]) -> ProtectParams:
    return ProtectParams(
        enabled=config.enabled,
        trigger_hf=config.trigger_hf,
        target_hf=config.target_hf,
        reserve_tokens=tuple(config.reserve_tokens),
        reserve_wallet=config.reserve_wallet,
        max_per_action_usd=config.max_per_action_usd,
        max_per_day_usd=config.max_per_day_usd,
        max_fee_gwei=config.max_fee_gwei,
        max_priority_fee_gwei=config.max_priority_fee_gwei,
        require_confirmation=config.require_confirmation,
        use_shadow_hf=config.use_shadow_hf,
        stable_symbols=tuple(stable_symbols),
    )


@dataclass(kw_only=True)
class ReserveProtector:
    """Repays debt from the reserve when the HF falls under ``trigger_hf``."""

    position: str
    params: ProtectParams
    reader: AaveV3Reader
    executor: ProtectExecutor
    reserve_wallet: str
    alerts: Any
    dry_run: bool
    journal: Journal
    reserve_target_usd: Decimal | None = None
    _reserve_high: Decimal = Decimal(0)
    _decimals: dict[str, int] = field(default_factory=dict)

    def reserves(self) -> list[ReserveBalance]:
        """The reserve wallet's balance of each reserve token (decimals read once)."""
        by_symbol = {r.symbol: r for r in self.reader.info.reserves}
        abi = load_abi("ERC20")
        owner = Web3.to_checksum_address(self.reserve_wallet)
        out = []
        for symbol in self.params.reserve_tokens:
            reserve = by_symbol.get(symbol)
            if reserve is None:
                continue

            def read_decimals(w3: Web3, asset: str = reserve.asset) -> int:
                token = w3.eth.contract(address=Web3.to_checksum_address(asset), abi=abi)
                return int(token.functions.decimals().call())

            def read_balance(w3: Web3, asset: str = reserve.asset) -> int:
                token = w3.eth.contract(address=Web3.to_checksum_address(asset), abi=abi)
                return int(token.functions.balanceOf(owner).call())

            if reserve.asset not in self._decimals:
                self._decimals[reserve.asset] = self.reader.rpc.call(
                    f"{symbol}.decimals", read_decimals
                )
            decimals = self._decimals[reserve.asset]
            raw = self.reader.rpc.call(f"{symbol}.balanceOf", read_balance)
            out.append(
                ReserveBalance(
                    symbol=symbol,
                    address=reserve.asset,
                    decimals=decimals,
                    balance=Decimal(raw) / Decimal(10) ** decimals,
                )
            )
        return out

    def start(self) -> None:
        """Note the reserve the daemon starts with: the level a refill alert aims back at."""
        self._refill(self.reserves(), Decimal(0), datetime.now(UTC))

    def _refill(
        self, reserves: list[ReserveBalance], hedge_profit_usd: Decimal, now: datetime
    ) -> None:
        """Alert with exact amounts when the reserve is under the level it started at (or the
        configured target): how much hedge profit can refill it, and what is left uncovered."""
        held = sum((r.balance for r in reserves), Decimal(0))  # stablecoins: 1 USD each
        self._reserve_high = max(self._reserve_high, held)
        wanted = self.reserve_target_usd or self._reserve_high
        if wanted <= 0 or held >= wanted * Decimal("0.99"):
            return
        report = refill_report(
            reserve_usd=held,
            reserve_wanted_usd=wanted,
            realized_pnl_usd=Decimal(0),
            unrealized_pnl_usd=hedge_profit_usd,
            max_withdraw_usd=Decimal(0),
        )
        asset = reserves[0].symbol if reserves else "USD"
        alert = alert_events.reserve_refill_needed(
            position=self.position, asset=asset, balance=held, minimum=wanted, at=now
        )
        self.alerts.submit(replace(alert, text=report.message))

    def spent_today_usd(self, now: datetime) -> Decimal:
        """Repaid or supplied since UTC midnight, from the journal so a restart keeps the
        daily cap (reserve stablecoins count 1 USD each)."""
        midnight = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
        return sum(
            (
                t.intent.amount or Decimal(0)
                for t in self.journal.txs_since(midnight, status=TxStatus.MINED)
                if t.intent.kind in ("repay", "supply")
            ),
            Decimal(0),
        )

    def run(
        self,
        *,
        snapshot: PositionSnapshot,
        shadow: PositionSnapshot,
        hedge_profit_usd: Decimal,
        now: datetime,
    ) -> str | None:
        shadow_or_none = shadow if self.params.use_shadow_hf else None
        # The trigger is a pure function of the snapshot: ask it before reading the reserve
        # and the journal, so a healthy position costs no extra I/O per cycle.
        if not decide(
            snapshot,
            params=self.params,
            reserves=(),
            spent_today_usd=Decimal(0),
            shadow_snapshot=shadow_or_none,
        ).triggered:
            return None
        decision = decide(
            snapshot,
            params=self.params,
            reserves=self.reserves(),
            spent_today_usd=self.spent_today_usd(now),
            shadow_snapshot=shadow_or_none,
        )
        action = decision.action
        if action is None:
            self.alerts.submit(
                alert_events.repay_failed(
                    position=self.position,
                    amount=Decimal(0),
                    asset="-",
                    error=decision.reason,
                    at=now,
                )
            )
            return f"protect: {decision.reason}"
        if decision.needs_confirmation:
            self.alerts.submit(
                alert_events.repay_failed(
                    position=self.position,
                    amount=action.amount,
                    asset=action.symbol,
                    error=f"needs operator confirmation: {action.reason}",
                    at=now,
                )
            )
            return f"protect: awaiting confirmation: {action.reason}"
        report = self.executor.execute(action, dry_run=self.dry_run)
        log.warning("protect", dry_run=self.dry_run, ok=report.ok, message=report.message)
        if report.ok and not self.dry_run:
            self._refill(self.reserves(), hedge_profit_usd, now)
            tx_hash = report.outcome.tx_hash if report.outcome else None
            self.alerts.submit(
                alert_events.repay_executed(
                    position=self.position,
                    amount=action.amount,
                    asset=action.symbol,
                    tx_hash=tx_hash or "-",
                    hf_before=action.hf_before,
                    hf_after=action.expected_hf_after,
                    at=now,
                )
            )
        elif not report.ok:
            self.alerts.submit(
                alert_events.repay_failed(
                    position=self.position,
                    amount=action.amount,
                    asset=action.symbol,
                    error=report.message,
                    at=now,
                )
            )
        return f"protect: {report.message}"


def protector_factory(
    config: HedgebotConfig,
    index: int,
    reader: AaveV3Reader,
    journal: Journal,
    *,
    dry_run: bool,
    alerts: Any,
) -> ReserveProtector | None:
    """The repay stage for ``config.positions[index]``, or None (said loudly) without a key."""
    protect = config.protect
    if protect is None or not protect.enabled:
        return None
    position = config.positions[index]
    reserve_wallet = protect.reserve_wallet or position.wallet
    try:
        signer = load_signer(expected_address=reserve_wallet)
    except SignerError as exc:
        log.error("repay protection OFF: no usable wallet key", error=str(exc))
        return None
    stables = [t for t, m in config.tokens.items() if m.underlying == "USD"]
    params = protect_params(protect, stables)
    w3 = reader.rpc.call("web3", lambda w3: w3)
    txm = TxManager(
        w3,
        signer,
        journal,
        params.fee_policy(),
        chain_id=position.chain_id,
        explain_revert=explain_revert,
    )
    executor = ProtectExecutor(w3, txm, pool=reader.info.pool)
    for outcome in executor.recover():
        log.warning(
            "settled a transaction left by a previous run",
            key=outcome.key,
            status=outcome.status,
            tx_hash=outcome.tx_hash,
        )
    protector = ReserveProtector(
        position=position.name,
        params=params,
        reader=reader,
        executor=executor,
        reserve_wallet=reserve_wallet,
        alerts=alerts,
        dry_run=dry_run,
        reserve_target_usd=protect.reserve_target_usd,
        journal=journal,
    )
    protector.start()
    return protector

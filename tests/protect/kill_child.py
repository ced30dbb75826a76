"""Child process for the SIGKILL test: decide and execute one repay from the reserve wallet,
journaling to the given SQLite file, then wait for a receipt that never comes (the parent has
paused mining and kills this process)."""

from __future__ import annotations

import sys
from decimal import Decimal

from web3 import Web3

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.abis import load_abi
from bot.chain.rpc import RpcPool
from bot.core.repay import ReserveBalance, decide
from bot.core.repay_params import ProtectParams
from bot.journal import Journal
from bot.protect.aave_errors import explain_revert
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import AavePoolWrites
from bot.wallet.fees import FeePolicy
from bot.wallet.signer import load_signer
from bot.wallet.txmanager import TxManager


def main() -> None:
    (rpc_url, chain_id, provider, pool, journal_path, key, borrower, usdc, now) = sys.argv[1:]
    reader = AaveV3Reader(RpcPool([rpc_url], int(chain_id)), provider, int(chain_id))
    reader.start()
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    signer = load_signer(expected_address=None, env={"HEDGEBOT_WALLET_KEY": key})
    token = w3.eth.contract(address=Web3.to_checksum_address(usdc), abi=_erc20())
    balance = Decimal(token.functions.balanceOf(signer.checksum).call()).scaleb(-6)
    reserve = ReserveBalance(symbol="USDC", address=usdc, decimals=6, balance=balance)
    params = ProtectParams(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.6"))
    decision = decide(
        reader.snapshot(borrower, now=int(now)),
        params=params,
        reserves=[reserve],
        spent_today_usd=Decimal(0),
    )
    assert decision.action is not None, decision.reason
    journal = Journal.open(journal_path)
    policy = FeePolicy(
        max_fee_per_gas_wei=100 * 10**9,
        max_priority_fee_per_gas_wei=10 * 10**9,
        receipt_timeout_secs=600,
        replace_after_secs=600,
    )
    txm = TxManager(
        w3, signer, journal, policy, chain_id=int(chain_id), explain_revert=explain_revert
    )
    print(f"KEY={decision.action.key}", flush=True)
    ProtectExecutor(w3, txm, writes=AavePoolWrites(w3, pool)).execute(decision.action)


def _erc20() -> list[dict[str, object]]:
    return load_abi("ERC20")  # type: ignore[return-value]


if __name__ == "__main__":
    main()

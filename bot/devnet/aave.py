"""Deploy real Aave v3 (the ``@aave/core-v3`` artifacts, v3.0 line) onto a local chain.

The sequence follows Aave's own deploy scripts: addresses provider, ACL, linked Pool and
PoolConfigurator implementations behind the provider's proxies, AaveOracle over MockAggregator
feeds, token implementations, rate strategy, data provider, then the reserves and one eMode
category. Multicall3 is placed at its canonical address so the reader runs unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from bot.devnet.anvil import DevnetError, rpc_request
from bot.devnet.artifacts import load_artifact, multicall3_creation_code

MULTICALL3_ADDRESS = Web3.to_checksum_address("0xcA11bde05977b3631167028862bE2a173976CA11")
RAY = 10**27
ORACLE_DECIMALS = 8
BASE_CURRENCY_UNIT = 10**ORACLE_DECIMALS
STABLE_EMODE_ID = 1

# Logic libraries in dependency order (FlashLoanLogic links BorrowLogic).
LIBRARIES = (
    "SupplyLogic",
    "BorrowLogic",
    "LiquidationLogic",
    "EModeLogic",
    "BridgeLogic",
    "PoolLogic",
    "FlashLoanLogic",
    "ConfiguratorLogic",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveSpec:
    """One reserve to list: token, start price and risk parameters (bps, as Aave takes them)."""

    symbol: str
    decimals: int
    price_usd: Decimal
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int  # including 100 %, e.g. 10500 = +5 %
    emode_category: int = 0
    reserve_factor_bps: int = 1000
    stable_borrowing: bool = False  # v3.0 stable-rate debt, to exercise the reader's handling


DEFAULT_RESERVES: tuple[ReserveSpec, ...] = (
    ReserveSpec(symbol="WBTC", decimals=8, price_usd=Decimal(60000), ltv_bps=7300,
                liquidation_threshold_bps=7800, liquidation_bonus_bps=10500),
    ReserveSpec(symbol="WETH", decimals=18, price_usd=Decimal(3000), ltv_bps=8000,
                liquidation_threshold_bps=8250, liquidation_bonus_bps=10500),
    ReserveSpec(symbol="WBNB", decimals=18, price_usd=Decimal(600), ltv_bps=7000,
                liquidation_threshold_bps=7500, liquidation_bonus_bps=11000),
    ReserveSpec(symbol="USDC", decimals=6, price_usd=Decimal(1), ltv_bps=7700,
                liquidation_threshold_bps=8000, liquidation_bonus_bps=10500,
                emode_category=STABLE_EMODE_ID),
    ReserveSpec(symbol="USDT", decimals=6, price_usd=Decimal(1), ltv_bps=7700,
                liquidation_threshold_bps=8000, liquidation_bonus_bps=10500,
                emode_category=STABLE_EMODE_ID, stable_borrowing=True),
)  # fmt: skip
# Stablecoin eMode: LTV 93 %, LT 95 %, bonus 1 %.
STABLE_EMODE = (9300, 9500, 10100, "Stablecoins")


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenDeployment:
    symbol: str
    decimals: int
    underlying: str
    a_token: str
    variable_debt_token: str
    stable_debt_token: str
    aggregator: str  # MockAggregator feeding AaveOracle; its answer lives in storage slot 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AaveDeployment:
    chain_id: int
    deployer: str
    addresses_provider: str
    pool: str
    pool_configurator: str
    acl_manager: str
    oracle: str
    data_provider: str
    multicall3: str
    treasury: str
    tokens: tuple[TokenDeployment, ...]

    def token(self, symbol: str) -> TokenDeployment:
        for tok in self.tokens:
            if tok.symbol == symbol:
                return tok
        raise KeyError(
            f"no reserve {symbol!r} in this deployment: {[t.symbol for t in self.tokens]}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_json(text: str) -> AaveDeployment:
        raw = json.loads(text)
        raw["tokens"] = tuple(TokenDeployment(**t) for t in raw["tokens"])
        return AaveDeployment(**raw)

    @staticmethod
    def load(path: Path) -> AaveDeployment:
        return AaveDeployment.from_json(path.read_text())


def contract(w3: Web3, name: str, address: str) -> Contract:
    """A web3 contract handle with the ABI from the artifacts."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name).abi)


def transact(w3: Web3, fn: ContractFunction, sender: str, *, what: str = "") -> Any:
    tx_hash = fn.transact({"from": Web3.to_checksum_address(sender)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if receipt["status"] != 1:
        raise DevnetError(f"transaction {what or fn.fn_name} reverted: {tx_hash.hex()}")
    return receipt


def deploy(
    w3: Web3, name: str, *args: Any, sender: str, libraries: dict[str, str] | None = None
) -> ChecksumAddress:
    art = load_artifact(name)
    code = art.linked_bytecode(libraries or {})
    factory = w3.eth.contract(abi=art.abi, bytecode=code)
    tx_hash = factory.constructor(*args).transact({"from": Web3.to_checksum_address(sender)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    address = receipt["contractAddress"]
    if receipt["status"] != 1 or address is None:
        raise DevnetError(f"deploying {name} failed: {tx_hash.hex()}")
    return Web3.to_checksum_address(address)


def install_multicall3(w3: Web3, rpc_url: str) -> ChecksumAddress:
    """Put Multicall3's runtime code at its canonical address (as on BNB Chain / Ethereum)."""
    runtime = w3.eth.call(
        {"data": HexStr(multicall3_creation_code())}
    )  # constructor run returns runtime
    rpc_request(rpc_url, "anvil_setCode", [MULTICALL3_ADDRESS, Web3.to_hex(runtime)])
    if len(w3.eth.get_code(MULTICALL3_ADDRESS)) == 0:
        raise DevnetError("Multicall3 code did not land at its canonical address")
    return MULTICALL3_ADDRESS


def _price_answer(price_usd: Decimal) -> int:
    return int(price_usd * BASE_CURRENCY_UNIT)


def deploy_aave(
    w3: Web3, rpc_url: str, *, reserves: tuple[ReserveSpec, ...] = DEFAULT_RESERVES
) -> AaveDeployment:
    """Deploy the whole market from the artifacts; the deployer (account 0) holds every
    admin role."""
    me = w3.eth.accounts[0]
    accounts = list(w3.eth.accounts)
    treasury = accounts[19] if len(accounts) > 19 else me
    multicall = install_multicall3(w3, rpc_url)

    provider_addr = deploy(w3, "PoolAddressesProvider", "hedgebot-devnet", me, sender=me)
    provider = contract(w3, "PoolAddressesProvider", provider_addr)
    transact(w3, provider.functions.setACLAdmin(me), me)
    acl_addr = deploy(w3, "ACLManager", provider_addr, sender=me)
    transact(w3, provider.functions.setACLManager(acl_addr), me)
    acl = contract(w3, "ACLManager", acl_addr)
    for role_fn in ("addPoolAdmin", "addRiskAdmin", "addEmergencyAdmin", "addAssetListingAdmin"):
        transact(w3, acl.functions[role_fn](me), me, what=role_fn)

    libs: dict[str, str] = {}
    for lib in LIBRARIES:
        libs[lib] = deploy(w3, lib, sender=me, libraries=libs)
    pool_impl = deploy(w3, "Pool", provider_addr, sender=me, libraries=libs)
    transact(w3, contract(w3, "Pool", pool_impl).functions.initialize(provider_addr), me)
    transact(w3, provider.functions.setPoolImpl(pool_impl), me)
    pool_addr = provider.functions.getPool().call()
    conf_impl = deploy(w3, "PoolConfigurator", sender=me, libraries=libs)
    transact(w3, provider.functions.setPoolConfiguratorImpl(conf_impl), me)
    configurator = contract(w3, "PoolConfigurator", provider.functions.getPoolConfigurator().call())

    underlyings = [
        deploy(w3, "MintableERC20", f"Devnet {r.symbol}", r.symbol, r.decimals, sender=me)
        for r in reserves
    ]
    feeds = [deploy(w3, "MockAggregator", _price_answer(r.price_usd), sender=me) for r in reserves]
    oracle_addr = deploy(
        w3, "AaveOracle", provider_addr, underlyings, feeds,
        "0x0000000000000000000000000000000000000000",
        "0x0000000000000000000000000000000000000000", BASE_CURRENCY_UNIT, sender=me,
    )  # fmt: skip
    transact(w3, provider.functions.setPriceOracle(oracle_addr), me)
    data_provider = deploy(w3, "AaveProtocolDataProvider", provider_addr, sender=me)
    transact(w3, provider.functions.setPoolDataProvider(data_provider), me)

    a_impl = deploy(w3, "AToken", pool_addr, sender=me)
    s_impl = deploy(w3, "StableDebtToken", pool_addr, sender=me)
    v_impl = deploy(w3, "VariableDebtToken", pool_addr, sender=me)
    volatile_rates = deploy(w3, "DefaultReserveInterestRateStrategy", provider_addr,
                            RAY * 45 // 100, 0, RAY * 7 // 100, RAY * 300 // 100,
                            RAY * 7 // 100, RAY * 300 // 100, RAY * 2 // 100, RAY * 5 // 100,
                            RAY * 20 // 100, sender=me)  # fmt: skip
    stable_rates = deploy(w3, "DefaultReserveInterestRateStrategy", provider_addr,
                          RAY * 90 // 100, 0, RAY * 4 // 100, RAY * 60 // 100,
                          RAY * 5 // 1000, RAY * 60 // 100, RAY * 1 // 100, RAY * 8 // 100,
                          RAY * 20 // 100, sender=me)  # fmt: skip
    inputs = [
        (a_impl, s_impl, v_impl, r.decimals,
         stable_rates if r.emode_category == STABLE_EMODE_ID else volatile_rates,
         underlyings[i], treasury, "0x0000000000000000000000000000000000000000",
         f"Aave Devnet {r.symbol}", f"aDev{r.symbol}",
         f"Aave Devnet Variable Debt {r.symbol}", f"variableDebtDev{r.symbol}",
         f"Aave Devnet Stable Debt {r.symbol}", f"stableDebtDev{r.symbol}", b"")
        for i, r in enumerate(reserves)
    ]  # fmt: skip
    transact(w3, configurator.functions.initReserves(inputs), me)
    ltv, lt, bonus, label = STABLE_EMODE
    zero = "0x0000000000000000000000000000000000000000"
    transact(
        w3,
        configurator.functions.setEModeCategory(STABLE_EMODE_ID, ltv, lt, bonus, zero, label),
        me,
    )
    for i, r in enumerate(reserves):
        asset = underlyings[i]
        transact(
            w3,
            configurator.functions.configureReserveAsCollateral(
                asset, r.ltv_bps, r.liquidation_threshold_bps, r.liquidation_bonus_bps
            ),
            me,
        )
        transact(w3, configurator.functions.setReserveBorrowing(asset, True), me)
        transact(w3, configurator.functions.setReserveFactor(asset, r.reserve_factor_bps), me)
        if r.stable_borrowing:
            transact(w3, configurator.functions.setReserveStableRateBorrowing(asset, True), me)
        if r.emode_category:
            transact(w3, configurator.functions.setAssetEModeCategory(asset, r.emode_category), me)

    dp = contract(w3, "AaveProtocolDataProvider", data_provider)
    tokens = []
    for i, r in enumerate(reserves):
        a_tok, s_tok, v_tok = dp.functions.getReserveTokensAddresses(underlyings[i]).call()
        tokens.append(TokenDeployment(
            symbol=r.symbol, decimals=r.decimals, underlying=underlyings[i], a_token=a_tok,
            variable_debt_token=v_tok, stable_debt_token=s_tok, aggregator=feeds[i]))  # fmt: skip
    return AaveDeployment(
        chain_id=w3.eth.chain_id, deployer=me, addresses_provider=provider_addr, pool=pool_addr,
        pool_configurator=configurator.address, acl_manager=acl_addr, oracle=oracle_addr,
        data_provider=data_provider, multicall3=multicall, treasury=treasury, tokens=tuple(tokens),
    )  # fmt: skip


def list_reserve(w3: Web3, deployment: AaveDeployment, spec: ReserveSpec) -> TokenDeployment:
    """List one more reserve on a running market, as governance would after start-up: a new
    token with its price feed, its aToken and debt tokens, and collateral parameters."""
    me = deployment.deployer
    pool, provider = deployment.pool, deployment.addresses_provider
    underlying = deploy(w3, "MintableERC20", f"Devnet {spec.symbol}", spec.symbol,
                        spec.decimals, sender=me)  # fmt: skip
    feed = deploy(w3, "MockAggregator", _price_answer(spec.price_usd), sender=me)
    oracle = contract(w3, "AaveOracle", deployment.oracle)
    transact(w3, oracle.functions.setAssetSources([underlying], [feed]), me)
    rates = deploy(w3, "DefaultReserveInterestRateStrategy", provider,
                   RAY * 45 // 100, 0, RAY * 7 // 100, RAY * 300 // 100, RAY * 7 // 100,
                   RAY * 300 // 100, RAY * 2 // 100, RAY * 5 // 100, RAY * 20 // 100,
                   sender=me)  # fmt: skip
    impls = [deploy(w3, name, pool, sender=me)
             for name in ("AToken", "StableDebtToken", "VariableDebtToken")]  # fmt: skip
    zero = "0x0000000000000000000000000000000000000000"
    s = spec.symbol
    names = (
        f"Aave Devnet {s}", f"aDev{s}", f"Aave Devnet Variable Debt {s}", f"variableDebtDev{s}",
        f"Aave Devnet Stable Debt {s}", f"stableDebtDev{s}",
    )  # fmt: skip
    init = (*impls, spec.decimals, rates, underlying, deployment.treasury, zero, *names, b"")
    configurator = contract(w3, "PoolConfigurator", deployment.pool_configurator)
    transact(w3, configurator.functions.initReserves([init]), me)
    transact(
        w3,
        configurator.functions.configureReserveAsCollateral(
            underlying, spec.ltv_bps, spec.liquidation_threshold_bps, spec.liquidation_bonus_bps
        ),
        me,
    )
    dp = contract(w3, "AaveProtocolDataProvider", deployment.data_provider)
    a_tok, s_tok, v_tok = dp.functions.getReserveTokensAddresses(underlying).call()
    return TokenDeployment(
        symbol=s, decimals=spec.decimals, underlying=underlying, a_token=a_tok,
        variable_debt_token=v_tok, stable_debt_token=s_tok, aggregator=feed,
    )  # fmt: skip

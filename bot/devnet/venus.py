"""Deploy the real Venus core pool (``@venusprotocol/venus-protocol`` 10.3.0 artifacts) locally.

The sequence follows Venus's own deploy scripts and Diamond tests: AccessControlManager,
Unitroller + Diamond with the Market/Policy/Reward/Setter/FlashLoan facets cut in by the
selectors of their interfaces (``I<Facet>``, plus ``IFacetBase``), ComptrollerLens, rate models
with BNB Chain's mainnet parameters, vBNB and VBep20Delegator markets over the package's
``MockToken``, then the oracle stack BNB Chain uses: ResilientOracle with a ChainlinkOracle as
its only (MAIN) source, prices set directly, and the DeviationBoundedOracle that this version's
comptroller calls on every borrow and redeem check (no asset is configured in it, so it passes
the spot price through: bounded pricing is off). Multicall3 sits at its canonical address.

Risk parameters are ours (the package's market config has no liquidation thresholds): see
``DEFAULT_MARKETS``. No liquidator contract is set, so a plain EOA may ``liquidateBorrow``
(with one set, ``liquidateBorrowAllowed`` answers UNAUTHORIZED to everyone else). Reserve
factors stay 0: no protocol share reserve is deployed for reserves to be swept into. VAI is
deployed as Venus's 014-vai-controller scripts do (VAIUnitroller -> VAIController, the VAI token
relying on it), minting up to 100 % of the collateral-factor value, at a 4 %/year base rate;
its debt counts in every liquidity check through the lens.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from bot.chain.venus_errors import (
    COMPTROLLER_ERRORS,
    TOKEN_ERRORS,
    describe_failure,
    error_name,
    failures,
)
from bot.devnet.aave import install_multicall3
from bot.devnet.anvil import DevnetError
from bot.devnet.artifacts import Artifact
from bot.devnet.venus_artifacts import (
    CORE,
    GOVERNANCE,
    ORACLE,
    load_venus_artifact,
    merged_abi,
    selector,
)

MANTISSA = 10**18
VTOKEN_DECIMALS = 8
# BNB Chain's block rate as Venus configures its rate models (0.45 s blocks).
BLOCKS_PER_YEAR = 70_080_000
# How ResilientOracle and ChainlinkOracle key the native coin (vBNB's "underlying").
NATIVE_TOKEN_ADDR = Web3.to_checksum_address("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
CORE_POOL_ID = 0
CLOSE_FACTOR = Decimal("0.5")
FACETS = ("MarketFacet", "PolicyFacet", "RewardFacet", "SetterFacet", "FlashLoanFacet")

# What the deployer must be allowed to call through the AccessControlManager: the comptroller's
# and the oracles' permissioned setters used below and by the Devnet helpers.
ACM_PERMISSIONS = (
    "_supportMarket(address)",
    "setCollateralFactor(address,uint256,uint256)",
    "setLiquidationIncentive(address,uint256)",
    "_setMarketBorrowCaps(address[],uint256[])",
    "_setMarketSupplyCaps(address[],uint256[])",
    "setIsBorrowAllowed(uint96,address,bool)",
    "setDeviationBoundedOracle(address)",
    "_setActionsPaused(address[],uint8[],bool)",
    "setTokenConfig(TokenConfig)",
    "setDirectPrice(address,uint256)",
    "setBaseRate(uint256)",
)
VAI_MINT_RATE_BPS = 10_000  # VAI mintable: this share of the collateral-factor value
VAI_BASE_RATE = Decimal("0.04")  # per year


@dataclass(frozen=True, slots=True, kw_only=True)
class JumpRate:
    """``JumpRateModel`` parameters per year (fractions), as in the package's market config."""

    base: Decimal
    multiplier: Decimal
    jump: Decimal
    kink: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoKinksRate:
    """``TwoKinksInterestRateModel`` parameters per year (fractions)."""

    base: Decimal
    multiplier: Decimal
    kink1: Decimal
    base2: Decimal
    multiplier2: Decimal
    kink2: Decimal
    jump: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSpec:
    """One market to list: ``native`` is vBNB; the others wrap a fresh ``MockToken``."""

    symbol: str
    decimals: int
    price_usd: Decimal
    collateral_factor: Decimal
    liquidation_threshold: Decimal
    liquidation_incentive: Decimal
    supply_cap: Decimal  # whole tokens; 0 would forbid supplying
    borrow_cap: Decimal  # whole tokens; 0 would forbid borrowing
    rate: JumpRate | TwoKinksRate
    native: bool = False


_STABLE_RATE = TwoKinksRate(
    base=Decimal(0), multiplier=Decimal("0.065476190437632"), kink1=Decimal("0.84"),
    base2=Decimal(0), multiplier2=Decimal("0.249999999959808"), kink2=Decimal("0.92"),
    jump=Decimal("4.0625"),
)  # fmt: skip
# Rate models: bscmainnet's in the package's market config (dist/helpers/markets). CF/LT/LI
# are our choice (mainnet has CF 0.78-0.825 and per-market LT since v10): CF < LT, LT·LI < 1.
DEFAULT_MARKETS: tuple[MarketSpec, ...] = (
    MarketSpec(symbol="BNB", decimals=18, price_usd=Decimal(600), native=True,
               collateral_factor=Decimal("0.75"), liquidation_threshold=Decimal("0.80"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(2_000_000),
               borrow_cap=Decimal(1_000_000),
               rate=TwoKinksRate(base=Decimal(0), multiplier=Decimal("0.03124999993"),
                                 kink1=Decimal("0.8"), base2=Decimal(0),
                                 multiplier2=Decimal("0.8499999996"), kink2=Decimal("0.9"),
                                 jump=Decimal("3.400000001"))),
    MarketSpec(symbol="BTCB", decimals=18, price_usd=Decimal(60_000),
               collateral_factor=Decimal("0.75"), liquidation_threshold=Decimal("0.80"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(20_000),
               borrow_cap=Decimal(10_000),
               rate=JumpRate(base=Decimal("0.0025"), multiplier=Decimal("0.0367"),
                             jump=Decimal(2), kink=Decimal("0.75"))),
    MarketSpec(symbol="ETH", decimals=18, price_usd=Decimal(3_000),
               collateral_factor=Decimal("0.75"), liquidation_threshold=Decimal("0.80"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(200_000),
               borrow_cap=Decimal(100_000),
               rate=JumpRate(base=Decimal(0), multiplier=Decimal("0.03"), jump=Decimal("4.5"),
                             kink=Decimal("0.9"))),
    MarketSpec(symbol="USDT", decimals=18, price_usd=Decimal(1),
               collateral_factor=Decimal("0.80"), liquidation_threshold=Decimal("0.85"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(1_000_000_000),
               borrow_cap=Decimal(500_000_000), rate=_STABLE_RATE),
    MarketSpec(symbol="USDC", decimals=18, price_usd=Decimal(1),
               collateral_factor=Decimal("0.80"), liquidation_threshold=Decimal("0.85"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(1_000_000_000),
               borrow_cap=Decimal(500_000_000), rate=_STABLE_RATE),
    # Three more, so a wallet can be in 8 markets as on mainnet. DOGE has 8 decimals (as on
    # BNB Chain): its oracle price is USD x 1e28, a scale the 18-decimal markets never show.
    MarketSpec(symbol="XRP", decimals=18, price_usd=Decimal("0.5"),
               collateral_factor=Decimal("0.60"), liquidation_threshold=Decimal("0.65"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(100_000_000),
               borrow_cap=Decimal(50_000_000),
               rate=JumpRate(base=Decimal(0), multiplier=Decimal("0.05"), jump=Decimal(3),
                             kink=Decimal("0.8"))),
    MarketSpec(symbol="DOGE", decimals=8, price_usd=Decimal("0.15"),
               collateral_factor=Decimal("0.40"), liquidation_threshold=Decimal("0.45"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(500_000_000),
               borrow_cap=Decimal(200_000_000),
               rate=JumpRate(base=Decimal(0), multiplier=Decimal("0.05"), jump=Decimal(3),
                             kink=Decimal("0.8"))),
    MarketSpec(symbol="FDUSD", decimals=18, price_usd=Decimal(1),
               collateral_factor=Decimal("0.75"), liquidation_threshold=Decimal("0.80"),
               liquidation_incentive=Decimal("1.10"), supply_cap=Decimal(1_000_000_000),
               borrow_cap=Decimal(500_000_000), rate=_STABLE_RATE),
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class VenusMarket:
    symbol: str  # underlying symbol: "BNB", "BTCB", ...
    v_token: str
    v_symbol: str  # "vBNB", "vBTCB", ...
    underlying: str | None  # None for vBNB (native BNB)
    decimals: int  # of the underlying; vTokens have 8
    interest_rate_model: str

    @property
    def native(self) -> bool:
        return self.underlying is None

    @property
    def oracle_asset(self) -> str:
        """The key ResilientOracle and ChainlinkOracle price this market by."""
        return NATIVE_TOKEN_ADDR if self.underlying is None else self.underlying


@dataclass(frozen=True, slots=True, kw_only=True)
class VenusDeployment:
    chain_id: int
    deployer: str
    comptroller: str  # the Unitroller: every comptroller call goes here
    diamond: str  # the Unitroller's implementation (routes to the facets)
    facets: tuple[str, ...]  # in FACETS order
    comptroller_lens: str
    access_control_manager: str
    oracle: str  # ResilientOracle (comptroller.oracle())
    chainlink_oracle: str  # its MAIN source, prices set with setDirectPrice
    bound_validator: str
    deviation_bounded_oracle: str
    multicall3: str
    markets: tuple[VenusMarket, ...]
    vai: str  # the VAI stablecoin (priced at $1 by the oracle)
    vai_controller: str  # the VAIUnitroller: every VAIController call goes here

    def market(self, symbol: str) -> VenusMarket:
        for m in self.markets:
            if symbol in (m.symbol, m.v_symbol):
                return m
        raise KeyError(
            f"no market {symbol!r} in this deployment: {[m.symbol for m in self.markets]}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_json(text: str) -> VenusDeployment:
        raw = json.loads(text)
        raw["facets"] = tuple(raw["facets"])
        raw["markets"] = tuple(VenusMarket(**m) for m in raw["markets"])
        return VenusDeployment(**raw)

    @staticmethod
    def load(path: Path) -> VenusDeployment:
        return VenusDeployment.from_json(path.read_text())


class VenusFailure(DevnetError):
    """A Venus call answered with a nonzero error code (Compound style: the transaction may
    well have succeeded) or reverted. ``code`` is the return value or the ``Failure`` error."""

    def __init__(self, what: str, message: str, *, code: int | None = None) -> None:
        super().__init__(f"{what}: {message}")
        self.what = what
        self.code = code


def mantissa(value: Decimal, decimals: int = 18) -> int:
    raw = value.scaleb(decimals)
    if raw != raw.to_integral_value():
        raise ValueError(f"{value} has more than {decimals} decimals")
    return int(raw)


def send(
    w3: Web3,
    fn: ContractFunction,
    sender: str,
    *,
    what: str,
    comptroller: str = ZERO_ADDRESS,
    value: int = 0,
    returns_codes: bool = True,
    mine_now: bool = False,
) -> TxReceipt:
    """Send ``fn`` and insist it worked: simulated first (a revert reason, or a nonzero uint
    result when ``returns_codes``, raises ``VenusFailure``), then mined, then its receipt
    searched for ``Failure`` events, since a rejected Compound-style call is a successful
    transaction. ``comptroller`` names the codes of calls to it (they differ from vTokens').
    ``mine_now``: under interval mining (automine off) mine its block at once rather than
    wait up to an interval for it."""
    tx: dict[str, Any] = {"from": Web3.to_checksum_address(sender), "value": value}
    try:
        result = fn.call(tx)  # type: ignore[arg-type]
    except ContractLogicError as e:
        raise VenusFailure(what, f"reverts: {e.message or e}") from e
    codes = result if isinstance(result, list | tuple) else [result]
    for code in codes if returns_codes else []:
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            names = COMPTROLLER_ERRORS if fn.address == comptroller else TOKEN_ERRORS
            raise VenusFailure(what, f"returned {error_name(code, names)} ({code})", code=code)
    tx_hash = fn.transact(tx)  # type: ignore[arg-type]
    if mine_now and not w3.provider.make_request("anvil_getAutomine", [])["result"]:  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if receipt["status"] != 1:
        block = receipt["blockNumber"]  # the simulation passed: its own block changed things
        raise VenusFailure(what, f"reverted when mined in block {block} (e.g. interest accrued)")
    found = failures(receipt)
    if found:
        text = "; ".join(describe_failure(*f, comptroller) for f in found)
        raise VenusFailure(what, text, code=found[0][1])
    return receipt


def deploy_artifact(w3: Web3, art: Artifact, *args: Any, sender: str) -> ChecksumAddress:
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": Web3.to_checksum_address(sender)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    address = receipt["contractAddress"]
    if receipt["status"] != 1 or address is None:
        raise DevnetError(f"deploying {art.name} failed: {tx_hash.hex()}")
    return Web3.to_checksum_address(address)


def deploy(w3: Web3, name: str, *args: Any, sender: str, package: str = CORE) -> ChecksumAddress:
    return deploy_artifact(w3, load_venus_artifact(name, package), *args, sender=sender)


def at(w3: Web3, name: str, address: str, package: str = CORE) -> Contract:
    abi = load_venus_artifact(name, package).abi
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def comptroller_abi() -> list[dict[str, Any]]:
    """The Unitroller answers for the Diamond (storage getters, cut) and every facet."""
    arts = [load_venus_artifact("Diamond"), load_venus_artifact("Unitroller")]
    arts += [load_venus_artifact(name) for name in FACETS]
    return merged_abi(*arts)


def comptroller_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=comptroller_abi())


def v_token_abi() -> list[dict[str, Any]]:
    arts = ("VBep20Delegate", "VBep20Delegator", "VBNB")
    return merged_abi(*(load_venus_artifact(name) for name in arts))


def v_token_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=v_token_abi())


def deploy_proxied(
    w3: Web3, name: str, *ctor_args: Any, package: str, acm: str, sender: str
) -> ChecksumAddress:
    """An upgradeable Venus contract (its constructor disables initializers) behind an
    ERC1967Proxy, initialized with the AccessControlManager as Venus deploys them."""
    impl = deploy(w3, name, *ctor_args, sender=sender, package=package)
    init = at(w3, name, impl, package).encode_abi("initialize", [acm])
    return deploy(w3, "ERC1967Proxy", impl, init, sender=sender, package=ORACLE)


def _facet_cut(w3: Web3, me: str) -> tuple[list[tuple[str, int, list[bytes]]], tuple[str, ...]]:
    """Deploy the facets; each gets its interface's selectors, FacetBase's go to MarketFacet."""
    cut: list[tuple[str, int, list[bytes]]] = []
    addresses = []
    taken: set[bytes] = set()
    for name in FACETS:
        facet = deploy(w3, name, sender=me)
        addresses.append(facet)
        interfaces = [f"I{name}"] + (["IFacetBase"] if name == "MarketFacet" else [])
        selectors = []
        for iface in interfaces:
            for entry in load_venus_artifact(iface).abi:
                sel = selector(entry) if entry["type"] == "function" else None
                if sel is not None and sel not in taken:
                    taken.add(sel)
                    selectors.append(sel)
        cut.append((facet, 0, selectors))  # 0 = FacetCutAction.Add
    return cut, tuple(addresses)


def deploy_comptroller(
    w3: Web3, me: str
) -> tuple[ChecksumAddress, ChecksumAddress, tuple[str, ...]]:
    """Unitroller -> Diamond -> facets, as Venus's Diamond test deploy script does."""
    unitroller = deploy(w3, "Unitroller", sender=me)
    diamond = deploy(w3, "Diamond", sender=me)
    uni = at(w3, "Unitroller", unitroller)
    send(w3, uni.functions._setPendingImplementation(diamond), me,
         what="Unitroller._setPendingImplementation(Diamond)", comptroller=unitroller)  # fmt: skip
    send(w3, at(w3, "Diamond", diamond).functions._become(unitroller), me, what="Diamond._become")
    cut, facets = _facet_cut(w3, me)
    comptroller = comptroller_at(w3, unitroller)
    send(w3, comptroller.functions.diamondCut(cut), me, what="Diamond.diamondCut(facets)")
    return unitroller, diamond, facets


def _rate_model(w3: Web3, rate: JumpRate | TwoKinksRate, me: str) -> ChecksumAddress:
    m = mantissa
    if isinstance(rate, JumpRate):
        return deploy(w3, "JumpRateModel", m(rate.base), m(rate.multiplier), m(rate.jump),
                      m(rate.kink), BLOCKS_PER_YEAR, sender=me)  # fmt: skip
    return deploy(w3, "TwoKinksInterestRateModel", m(rate.base), m(rate.multiplier),
                  m(rate.kink1), m(rate.multiplier2), m(rate.base2), m(rate.kink2),
                  m(rate.jump), BLOCKS_PER_YEAR, sender=me)  # fmt: skip


def deploy_market(
    w3: Web3, spec: MarketSpec, comptroller: str, delegate: str, me: str
) -> VenusMarket:
    """The vToken (not yet listed): vBNB, or a VBep20Delegator over a fresh MockToken. The
    initial exchange rate is 1 underlying per vToken, as the package's 011-deploy-markets."""
    irm = _rate_model(w3, spec.rate, me)
    rate = 10 ** (spec.decimals + 18 - VTOKEN_DECIMALS)
    v_symbol = f"v{spec.symbol}"
    name = f"Venus {spec.symbol}"
    if spec.native:
        v_token = deploy(w3, "VBNB", comptroller, irm, rate, name, v_symbol, VTOKEN_DECIMALS, me,
                         sender=me)  # fmt: skip
        underlying = None
    else:
        underlying = deploy(w3, "MockToken", f"Devnet {spec.symbol}", spec.symbol,
                            spec.decimals, sender=me)  # fmt: skip
        v_token = deploy(w3, "VBep20Delegator", underlying, comptroller, irm, rate, name,
                         v_symbol, VTOKEN_DECIMALS, me, delegate, b"", sender=me)  # fmt: skip
    return VenusMarket(symbol=spec.symbol, v_token=v_token, v_symbol=v_symbol,
                       underlying=underlying, decimals=spec.decimals,
                       interest_rate_model=irm)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleStack:
    resilient: ChecksumAddress
    chainlink: ChecksumAddress
    bound_validator: ChecksumAddress
    deviation_bounded: ChecksumAddress


def deploy_oracles(w3: Web3, acm: str, native_market: str, vai: str, me: str) -> OracleStack:
    """ResilientOracle over a ChainlinkOracle (direct prices), plus the comptroller's
    DeviationBoundedOracle over the ResilientOracle. Both know vBNB (priced as the native coin)
    and VAI (priced as itself) by address, fixed at construction."""
    bound = deploy_proxied(w3, "BoundValidator", package=ORACLE, acm=acm, sender=me)
    chainlink = deploy_proxied(w3, "ChainlinkOracle", package=ORACLE, acm=acm, sender=me)
    resilient = deploy_proxied(w3, "ResilientOracle", native_market, vai, bound,
                               package=ORACLE, acm=acm, sender=me)  # fmt: skip
    dbo = deploy_proxied(w3, "DeviationBoundedOracle", resilient, native_market, vai,
                         package=CORE, acm=acm, sender=me)  # fmt: skip
    return OracleStack(resilient=resilient, chainlink=chainlink, bound_validator=bound,
                       deviation_bounded=dbo)  # fmt: skip


def set_direct_price(w3: Web3, chainlink: str, asset: str, usd: Decimal, me: str) -> None:
    """ChainlinkOracle takes a direct price as USD × 1e18 whatever the token's decimals and
    scales it to Venus's 1e(36 − decimals) itself."""
    if usd <= 0:
        raise ValueError(f"price must be positive, got {usd}")
    fn = at(w3, "ChainlinkOracle", chainlink, ORACLE).functions.setDirectPrice(
        Web3.to_checksum_address(asset), mantissa(usd)
    )
    # Mined at once even when the chain mines on an interval (the demo): a price move is one
    # block, as the Aave devnet's is.
    send(w3, fn, me, what=f"ChainlinkOracle.setDirectPrice({asset}, {usd})", mine_now=True)


def price_market(
    w3: Web3, oracles: OracleStack, market: VenusMarket, usd: Decimal, me: str
) -> None:
    set_direct_price(w3, oracles.chainlink, market.oracle_asset, usd, me)
    resilient = at(w3, "ResilientOracle", oracles.resilient, ORACLE)
    config = (
        market.oracle_asset,
        [oracles.chainlink, ZERO_ADDRESS, ZERO_ADDRESS],
        [True, False, False],
        False,
    )  # main oracle only: no pivot, no fallback, no cache
    send(w3, resilient.functions.setTokenConfig(config), me,
         what=f"ResilientOracle.setTokenConfig({market.symbol})")  # fmt: skip


def list_market(
    w3: Web3, comptroller: Contract, market: VenusMarket, spec: MarketSpec, me: str
) -> None:
    """List, set CF/LT and the liquidation incentive, and allow borrowing (caps come after)."""
    v_token = Web3.to_checksum_address(market.v_token)
    c, where = comptroller, comptroller.address
    send(w3, c.functions._supportMarket(v_token), me, what=f"_supportMarket({market.v_symbol})",
         comptroller=where)  # fmt: skip
    set_cf = c.get_function_by_signature("setCollateralFactor(address,uint256,uint256)")
    send(w3, set_cf(v_token, mantissa(spec.collateral_factor),
                    mantissa(spec.liquidation_threshold)),
         me, what=f"setCollateralFactor({market.v_symbol})", comptroller=where)  # fmt: skip
    set_li = c.get_function_by_signature("setLiquidationIncentive(address,uint256)")
    send(w3, set_li(v_token, mantissa(spec.liquidation_incentive)), me,
         what=f"setLiquidationIncentive({market.v_symbol})", comptroller=where)  # fmt: skip
    send(w3, c.functions.setIsBorrowAllowed(CORE_POOL_ID, v_token, True), me,
         what=f"setIsBorrowAllowed({market.v_symbol})", comptroller=where)  # fmt: skip


def set_caps(
    w3: Web3, comptroller: Contract, markets: list[tuple[VenusMarket, MarketSpec]], me: str
) -> None:
    v_tokens = [Web3.to_checksum_address(m.v_token) for m, _ in markets]
    supply = [mantissa(s.supply_cap, s.decimals) for _, s in markets]
    borrow = [mantissa(s.borrow_cap, s.decimals) for _, s in markets]
    where = comptroller.address
    send(w3, comptroller.functions._setMarketSupplyCaps(v_tokens, supply), me,
         what="_setMarketSupplyCaps", comptroller=where)  # fmt: skip
    send(w3, comptroller.functions._setMarketBorrowCaps(v_tokens, borrow), me,
         what="_setMarketBorrowCaps", comptroller=where)  # fmt: skip


def deploy_access_control(w3: Web3, me: str) -> ChecksumAddress:
    acm = deploy(w3, "AccessControlManager", sender=me, package=GOVERNANCE)
    contract = at(w3, "AccessControlManager", acm, GOVERNANCE)
    for sig in ACM_PERMISSIONS:  # contract address 0 = the permission holds on any contract
        send(w3, contract.functions.giveCallPermission(ZERO_ADDRESS, sig, me), me,
             what=f"AccessControlManager.giveCallPermission({sig})")  # fmt: skip
    return acm


def configure_comptroller(w3: Web3, comptroller: Contract, acm: str, me: str) -> ChecksumAddress:
    """Access control, the lens and the close factor; returns the lens."""
    where = comptroller.address
    send(w3, comptroller.functions._setAccessControl(acm), me, what="_setAccessControl",
         comptroller=where)  # fmt: skip
    lens = deploy(w3, "ComptrollerLens", sender=me)
    send(w3, comptroller.functions._setComptrollerLens(lens), me, what="_setComptrollerLens",
         comptroller=where)  # fmt: skip
    send(w3, comptroller.functions._setCloseFactor(mantissa(CLOSE_FACTOR)), me,
         what="_setCloseFactor", comptroller=where)  # fmt: skip
    return lens


def deploy_vai(
    w3: Web3, comptroller: Contract, acm: str, me: str
) -> tuple[ChecksumAddress, ChecksumAddress]:
    """VAI and its controller behind a VAIUnitroller, wired to the comptroller. Returns
    (VAI token, VAIUnitroller)."""
    vai = deploy(w3, "VAI", w3.eth.chain_id, sender=me)
    impl = deploy(w3, "VAIController", sender=me)
    unitroller = deploy(w3, "VAIUnitroller", sender=me)
    send(w3, at(w3, "VAIUnitroller", unitroller).functions._setPendingImplementation(impl), me,
         what="VAIUnitroller._setPendingImplementation")  # fmt: skip
    send(w3, at(w3, "VAIController", impl).functions._become(unitroller), me,
         what="VAIController._become")  # fmt: skip
    ctl = at(w3, "VAIController", unitroller).functions
    send(w3, ctl.initialize(), me, what="VAIController.initialize")
    send(w3, ctl.setVAIToken(vai), me, what="VAIController.setVAIToken")
    send(w3, ctl._setComptroller(comptroller.address), me, what="VAIController._setComptroller")
    send(w3, ctl.setAccessControl(acm), me, what="VAIController.setAccessControl")
    send(w3, ctl.setBaseRate(mantissa(VAI_BASE_RATE)), me, what="VAIController.setBaseRate")
    send(w3, at(w3, "VAI", vai).functions.rely(unitroller), me, what="VAI.rely(VAIController)")
    where = comptroller.address
    send(w3, comptroller.functions._setVAIController(unitroller), me,
         what="_setVAIController", comptroller=where)  # fmt: skip
    send(w3, comptroller.functions._setVAIMintRate(VAI_MINT_RATE_BPS), me,
         what="_setVAIMintRate", comptroller=where)  # fmt: skip
    return vai, unitroller


def price_vai(w3: Web3, oracles: OracleStack, vai: str, me: str) -> None:
    """$1: the VAI controller's float rate reads it, the oracle prices VAI debt by it."""
    set_direct_price(w3, oracles.chainlink, vai, Decimal(1), me)
    resilient = at(w3, "ResilientOracle", oracles.resilient, ORACLE)
    config = (vai, [oracles.chainlink, ZERO_ADDRESS, ZERO_ADDRESS], [True, False, False], False)
    send(w3, resilient.functions.setTokenConfig(config), me, what="ResilientOracle(VAI)")


def deploy_venus(
    w3: Web3, rpc_url: str, *, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS
) -> VenusDeployment:
    """Deploy the whole core pool from the artifacts; the deployer (account 0) is the
    Unitroller's admin and holds every AccessControlManager permission the setup uses."""
    me = w3.eth.accounts[0]
    multicall = install_multicall3(w3, rpc_url)
    acm = deploy_access_control(w3, me)
    unitroller, diamond, facets = deploy_comptroller(w3, me)
    comptroller = comptroller_at(w3, unitroller)
    lens = configure_comptroller(w3, comptroller, acm, me)
    vai, vai_controller = deploy_vai(w3, comptroller, acm, me)

    delegate = deploy(w3, "VBep20Delegate", sender=me)
    deployed = [deploy_market(w3, spec, unitroller, delegate, me) for spec in markets]
    natives = [m.v_token for m in deployed if m.native]
    if len(natives) != 1:
        raise DevnetError(f"the oracles need exactly one native (vBNB) market, got {natives}")
    oracles = deploy_oracles(w3, acm, natives[0], vai, me)
    send(w3, comptroller.functions._setPriceOracle(oracles.resilient), me,
         what="_setPriceOracle(ResilientOracle)", comptroller=unitroller)  # fmt: skip
    send(w3, comptroller.functions.setDeviationBoundedOracle(oracles.deviation_bounded), me,
         what="setDeviationBoundedOracle", comptroller=unitroller)  # fmt: skip
    for market, spec in zip(deployed, markets, strict=True):
        price_market(w3, oracles, market, spec.price_usd, me)
        list_market(w3, comptroller, market, spec, me)
    set_caps(w3, comptroller, list(zip(deployed, markets, strict=True)), me)
    price_vai(w3, oracles, vai, me)
    return VenusDeployment(
        chain_id=w3.eth.chain_id, deployer=me, comptroller=unitroller, diamond=diamond,
        facets=facets, comptroller_lens=lens, access_control_manager=acm,
        oracle=oracles.resilient, chainlink_oracle=oracles.chainlink,
        bound_validator=oracles.bound_validator,
        deviation_bounded_oracle=oracles.deviation_bounded, multicall3=multicall,
        markets=tuple(deployed), vai=vai, vai_controller=vai_controller,
    )  # fmt: skip

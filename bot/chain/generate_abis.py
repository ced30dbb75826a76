"""Regenerate ``bot/chain/abi/*.json`` and ``bot/chain/aave_markets.json`` from the npm packages.

Run ``python -m bot.chain.generate_abis`` after the npm tools change (needs ``node`` and the tools
dir); ``python -m bot.chain.generate_abis --venus-only`` rewrites only the Venus ABIs, from the
``@venusprotocol/venus-protocol`` artifacts ``make install`` unpacks into ``<tools>/venus`` (or
the package directory named by ``HEDGEBOT_VENUS_PACKAGE``).

Every ABI is copied from a maintained package, never typed by hand, with one exception:
Multicall3's ``getBlockNumber`` (viem's Multicall3 ABI omits it) is built from its signature in
``mds1/multicall3 src/Multicall3.sol``; the devnet checks its selector is in the deployed code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.devnet.anvil import tools_dir

HERE = Path(__file__).parent
ABI_DIR = HERE / "abi"
CORE_V3 = "node_modules/@aave/core-v3/artifacts/contracts"

# (output name, artifact path under @aave/core-v3 artifacts, functions kept)
FROM_ARTIFACTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Pool", "protocol/pool/Pool.sol/Pool.json", (
        "POOL_REVISION", "getUserAccountData", "getReservesList", "getReserveData",
        "getConfiguration", "getUserConfiguration", "getUserEMode", "getEModeCategoryData",
        "getReserveNormalizedIncome", "getReserveNormalizedVariableDebt", "liquidationCall",
        "repay", "supply", "borrow", "setUserEMode",
    )),
    ("PoolAddressesProvider",
     "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
     ("getPool", "getPriceOracle", "getPoolDataProvider", "getMarketId", "getACLManager")),
    ("AaveOracle", "misc/AaveOracle.sol/AaveOracle.json", (
        "BASE_CURRENCY", "BASE_CURRENCY_UNIT", "getAssetPrice", "getAssetsPrices",
        "getSourceOfAsset",
    )),
    ("AaveProtocolDataProvider",
     "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json", (
        "getAllReservesTokens", "getReserveTokensAddresses", "getReserveConfigurationData",
        "getUserReserveData", "getReserveEModeCategory",
    )),
    ("ERC20", "dependencies/openzeppelin/contracts/IERC20Detailed.sol/IERC20Detailed.json", (
        "balanceOf", "decimals", "symbol", "name", "approve", "allowance", "totalSupply",
        "transfer",
    )),
)  # fmt: skip
# v3.2+ eMode getters (liquid eModes) exist only in the current interface from the address book.
IPOOL_V32_FUNCTIONS = (
    "getEModeCategoryCollateralConfig",
    "getEModeCategoryCollateralBitmap",
    "getEModeCategoryBorrowableBitmap",
)
MULTICALL3_GET_BLOCK_NUMBER: dict[str, Any] = {
    "type": "function",
    "name": "getBlockNumber",
    "stateMutability": "view",
    "inputs": [],
    "outputs": [{"name": "blockNumber", "type": "uint256"}],
}
# Venus core pool: (output name, [(artifact under the package's artifacts/, functions kept)]).
# The comptroller is a Diamond: its storage getters are in Diamond.json, the rest in the facets'
# interfaces; one ABI file merges them.
FROM_VENUS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("VenusComptroller", (
        ("contracts/Comptroller/Diamond/Diamond.sol/Diamond.json", (
            "oracle", "vaiController", "comptrollerLens", "closeFactorMantissa",
            "liquidatorContract", "userPoolId",
        )),
        ("contracts/Comptroller/Diamond/interfaces/IMarketFacet.sol/IMarketFacet.json", (
            "getAllMarkets", "getAssetsIn", "markets", "getEffectiveLtvFactor",
            "getEffectiveLiquidationIncentive", "getLiquidationIncentive",
            "getCollateralFactor", "getLiquidationThreshold", "enterMarkets",
        )),
        ("contracts/Comptroller/Diamond/interfaces/IPolicyFacet.sol/IPolicyFacet.json", (
            "getAccountLiquidity", "getBorrowingPower",
        )),
    )),
    ("VToken", (
        ("contracts/Tokens/VTokens/VBep20.sol/VBep20.json", (
            "getAccountSnapshot", "underlying", "symbol", "decimals", "exchangeRateStored",
            "borrowBalanceStored", "accrualBlockNumber", "borrowRatePerBlock", "balanceOf",
            "comptroller", "isVToken", "repayBorrowBehalf", "mint", "mintBehalf", "borrow",
            # Compound-style rejections are mined: these events say whether a call took effect.
            "Failure", "RepayBorrow", "Mint",
        )),
    )),
    ("VenusOracle", (
        ("@venusprotocol/oracle/contracts/interfaces/OracleInterface.sol/"
         "ResilientOracleInterface.json", ("getUnderlyingPrice", "getPrice")),
    )),
    ("VAIController", (
        ("contracts/Tokens/VAI/VAIController.sol/VAIController.json", (
            "getVAIRepayAmount", "getVAIAddress",
        )),
    )),
)  # fmt: skip
MARKETS = {"bnb": "AaveV3BNB", "ethereum": "AaveV3Ethereum"}
MARKET_KEYS = (
    "CHAIN_ID", "POOL_ADDRESSES_PROVIDER", "POOL", "ORACLE", "AAVE_PROTOCOL_DATA_PROVIDER",
    "UI_POOL_DATA_PROVIDER", "POOL_CONFIGURATOR", "ACL_MANAGER",
)  # fmt: skip


def _node_json(expr: str) -> Any:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed to read the npm packages")
    out = subprocess.run(  # noqa: S603 (fixed program, our own script)
        [node, "-e", f"process.stdout.write(JSON.stringify({expr}))"],
        cwd=tools_dir(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def _pick(abi: list[dict[str, Any]], names: tuple[str, ...], source: str) -> list[dict[str, Any]]:
    picked = [e for e in abi if e.get("type") in ("function", "event") and e.get("name") in names]
    missing = set(names) - {e["name"] for e in picked}
    if missing:
        raise SystemExit(f"{source} lacks {sorted(missing)}")
    return picked


def _write(name: str, source: str, abi: list[dict[str, Any]]) -> None:
    payload = {"source": source, "abi": abi}
    (ABI_DIR / f"{name}.json").write_text(json.dumps(payload, indent=1) + "\n")


def venus_package_dir() -> Path:
    configured = os.environ.get("HEDGEBOT_VENUS_PACKAGE")
    return Path(configured) if configured else tools_dir() / "venus" / "venus-protocol"


def write_venus_abis() -> None:
    package = venus_package_dir()
    version = json.loads((package / "package.json").read_text())["version"]
    for name, parts in FROM_VENUS:
        abi: list[dict[str, Any]] = []
        sources = []
        for rel, fns in parts:
            raw = json.loads((package / "artifacts" / rel).read_text())
            src = f"npm @venusprotocol/venus-protocol@{version} artifacts/{rel}"
            abi.extend(_pick(raw["abi"], fns, src))
            sources.append(src)
        _write(name, " + ".join(sources), abi)


def main(argv: list[str] | None = None) -> None:
    ABI_DIR.mkdir(exist_ok=True)
    write_venus_abis()
    if "--venus-only" in (argv or []):
        return
    core_version = json.loads(
        (tools_dir() / "node_modules/@aave/core-v3/package.json").read_text()
    )["version"]
    for name, rel, fns in FROM_ARTIFACTS:
        raw = json.loads((tools_dir() / CORE_V3 / rel).read_text())
        src = f"npm @aave/core-v3@{core_version} artifacts/contracts/{rel}"
        _write(name, src, _pick(raw["abi"], fns, src))
    book = "./node_modules/@aave-dao/aave-address-book"
    book_version = _node_json(f'require("{book}/package.json").version')
    ipool = _node_json(f'require("{book}/dist/abis/IPool.js").IPool_ABI')
    src = f"npm @aave-dao/aave-address-book@{book_version} dist/abis/IPool.js (IPool_ABI)"
    _write("PoolV32", src, _pick(ipool, IPOOL_V32_FUNCTIONS, src))
    viem_version = _node_json('require("./node_modules/viem/package.json").version')
    mc3 = _node_json('require("./node_modules/viem/_cjs/constants/abis.js").multicall3Abi')
    src = (
        f"npm viem@{viem_version} constants/abis.js (multicall3Abi) + getBlockNumber from "
        "mds1/multicall3 src/Multicall3.sol"
    )
    _write("Multicall3", src, [*mc3, MULTICALL3_GET_BLOCK_NUMBER])

    markets: dict[str, Any] = {
        "source": f"npm @aave-dao/aave-address-book@{book_version} dist/<market>.js"
    }
    for key, module in MARKETS.items():
        exports = _node_json(f'require("{book}/dist/{module}.js")')
        market = {k: exports[k] for k in MARKET_KEYS}
        market["ASSETS"] = {
            sym: {k: a[k] for k in ("UNDERLYING", "decimals", "id", "A_TOKEN", "V_TOKEN", "ORACLE")}
            for sym, a in exports["ASSETS"].items()
        }
        markets[key] = market
    (HERE / "aave_markets.json").write_text(json.dumps(markets, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

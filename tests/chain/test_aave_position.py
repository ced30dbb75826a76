"""Pure parts of the reader: bit layouts, exact conversions, stale guard, shipped data files."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from bot.chain import aave_position as ap
from bot.chain.abis import ABI_DIR, load_abi
from bot.chain.freshness import stale_reason
from bot.chain.markets import aave_market, market_for_chain

u16 = st.integers(0, 2**16 - 1)


@given(ltv=u16, lt=u16, bonus=u16, decimals=st.integers(0, 255), cat=st.integers(0, 255),
       noise=st.integers(0, 2**112 - 1))  # fmt: skip
def test_reserve_config_bitmap_roundtrip(
    *, ltv: int, lt: int, bonus: int, decimals: int, cat: int, noise: int
) -> None:
    # flags, caps and fees (bits 56-167) must not leak into the decoded fields
    data = ltv | lt << 16 | bonus << 32 | decimals << 48 | noise << 56 | cat << 168
    cfg = ap.ReserveConfig.from_bitmap(data)
    assert (cfg.ltv_bps, cfg.liquidation_threshold_bps, cfg.liquidation_bonus_bps) == (
        ltv,
        lt,
        bonus,
    )
    assert (cfg.decimals, cfg.emode_category) == (decimals, cat)


@given(raw=st.integers(0, 2**256 - 1), decimals=st.integers(0, 30))
def test_token_amounts_are_exact(raw: int, decimals: int) -> None:
    amount = ap.tokens(raw, decimals)
    assert Fraction(amount) == Fraction(raw, 10**decimals)  # no rounding, whatever the size


@given(ids=st.lists(st.integers(0, 127), unique=True, max_size=10))
def test_user_config_bits(ids: list[int]) -> None:
    config = sum(1 << (2 * i + 1) for i in ids)
    for i in range(128):
        assert ap.is_using_as_collateral(config, i) == (i in ids)
        assert not ap.is_borrowing(config, i)


def test_no_debt_health_factor_is_infinite() -> None:
    data = ap.account_data("0xabc", 7, (10**8, 0, 0, 8000, 7000, ap.MAX_UINT256), 10**8)
    assert data.health_factor == Decimal("Infinity")
    assert data.health_factor_wad == ap.MAX_UINT256
    assert data.total_collateral_usd == 1
    assert data.liquidation_threshold == Decimal("0.8")


@given(age=st.integers(-100, 1000), max_age=st.integers(1, 600))
def test_stale_by_age(age: int, max_age: int) -> None:
    reason = stale_reason(block_number=10, block_timestamp=1000, now=1000 + age,
                             max_block_age_secs=max_age, last_block_number=None)  # fmt: skip
    assert (reason is not None) == (age > max_age)


def test_stale_when_block_goes_backwards() -> None:
    kwargs = {"block_timestamp": 1000, "now": 1000, "max_block_age_secs": 60}
    assert stale_reason(block_number=9, last_block_number=10, **kwargs) is not None
    assert stale_reason(block_number=10, last_block_number=10, **kwargs) is None


def test_emode_coverage_by_version() -> None:
    legacy = ap.EModeCategory(category_id=1, ltv_bps=9300, liquidation_threshold_bps=9500,
                              liquidation_bonus_bps=10100)  # fmt: skip
    assert legacy.covers(reserve_id=3, reserve_category=1)
    assert not legacy.covers(reserve_id=3, reserve_category=2)
    liquid = ap.EModeCategory(category_id=1, ltv_bps=9300, liquidation_threshold_bps=9500,
                              liquidation_bonus_bps=10100, collateral_bitmap=0b1000)  # fmt: skip
    assert liquid.covers(reserve_id=3, reserve_category=0)
    assert not liquid.covers(reserve_id=2, reserve_category=1)


def test_abis_name_their_source() -> None:
    for path in ABI_DIR.glob("*.json"):
        assert json.loads(path.read_text())["source"].startswith("npm "), path
    assert {e["name"] for e in load_abi("Multicall3")} >= {"aggregate3", "getBlockNumber"}


def test_mainnet_markets_from_the_address_book() -> None:
    bnb, eth = aave_market("bnb"), aave_market("ethereum")
    assert (bnb.chain_id, bnb.addresses_provider) == (
        56,
        "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D",
    )
    assert (eth.chain_id, eth.addresses_provider) == (
        1,
        "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
    )
    assert market_for_chain(56) == bnb

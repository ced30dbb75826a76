"""The signer never shows its key and refuses the wrong wallet; fees stay under the caps."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from bot.wallet.fees import (
    FeeCapError,
    FeePolicy,
    Fees,
    gas_limit,
    initial_fees,
    replacement_fees,
)
from bot.wallet.signer import SignerError, WalletMismatchError, load_signer

KEY = "0x" + "ab" * 32
ADDRESS = Account.from_key(KEY).address
OTHER = "0x000000000000000000000000000000000000dEaD"


def test_key_from_env_and_repr_masks_it():
    signer = load_signer(expected_address=ADDRESS.lower(), env={"HEDGEBOT_WALLET_KEY": KEY})
    assert signer.address == ADDRESS
    assert "ab" * 32 not in repr(signer)
    assert "ab" * 32 not in str(signer)
    assert repr(signer) == f"Signer(address={ADDRESS}, key=***)"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


def test_key_from_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    signer = load_signer(expected_address=None, env={"HEDGEBOT_WALLET_KEY_FILE": str(path)})
    assert signer.address == ADDRESS


def test_encrypted_keystore(tmp_path):
    keystore = tmp_path / "wallet.json"
    keystore.write_text(json.dumps(Account.encrypt(KEY, "pw", kdf="pbkdf2", iterations=2)))
    env = {"HEDGEBOT_KEYSTORE_PASSWORD": "pw"}
    signer = load_signer(expected_address=ADDRESS, keystore_path=keystore, env=env)
    assert signer.address == ADDRESS
    with pytest.raises(SignerError, match="wrong password"):
        load_signer(
            expected_address=ADDRESS,
            keystore_path=keystore,
            env={"HEDGEBOT_KEYSTORE_PASSWORD": "nope"},
        )
    with pytest.raises(SignerError, match="needs HEDGEBOT_KEYSTORE_PASSWORD"):
        load_signer(expected_address=ADDRESS, env={"HEDGEBOT_WALLET_KEYSTORE": str(keystore)})


def test_wrong_wallet_names_both_addresses():
    with pytest.raises(WalletMismatchError) as err:
        load_signer(expected_address=OTHER, env={"HEDGEBOT_WALLET_KEY": KEY})
    assert ADDRESS in str(err.value)
    assert "0x000000000000000000000000000000000000dEaD" in str(err.value)
    assert "ab" * 32 not in str(err.value)


def test_bad_or_missing_key_errors_do_not_echo_it():
    with pytest.raises(SignerError) as err:
        load_signer(expected_address=None, env={"HEDGEBOT_WALLET_KEY": "0x1234beef"})
    assert "1234beef" not in str(err.value)
    with pytest.raises(SignerError, match="no wallet key"):
        load_signer(expected_address=None, env={})
    with pytest.raises(SignerError, match="configure exactly one"):
        load_signer(
            expected_address=None,
            env={"HEDGEBOT_WALLET_KEY": KEY, "HEDGEBOT_WALLET_KEYSTORE": "/x.json"},
        )


POLICY = FeePolicy(max_fee_per_gas_wei=50 * 10**9, max_priority_fee_per_gas_wei=3 * 10**9)


def test_fees_follow_the_base_fee_and_refuse_above_the_cap():
    fees = initial_fees(base_fee=10 * 10**9, suggested_tip=10**9, policy=POLICY)
    assert fees == Fees(max_fee_per_gas=21 * 10**9, max_priority_fee_per_gas=10**9)
    with pytest.raises(FeeCapError, match="above the max fee cap"):
        initial_fees(base_fee=60 * 10**9, suggested_tip=10**9, policy=POLICY)
    assert gas_limit(100_000, Decimal("1.25")) == 125_000


@given(
    base=st.integers(1, 40 * 10**9),
    tip=st.integers(0, 10 * 10**9),
    new_base=st.integers(1, 60 * 10**9),
)
def test_replacement_bumps_at_least_12_5_percent_within_caps(base, tip, new_base):
    try:
        first = initial_fees(base_fee=base, suggested_tip=tip, policy=POLICY)
    except FeeCapError:
        return
    assert first.max_fee_per_gas <= POLICY.max_fee_per_gas_wei
    assert first.max_priority_fee_per_gas <= POLICY.max_priority_fee_per_gas_wei
    bumped = replacement_fees(previous=first, base_fee=new_base, policy=POLICY)
    if bumped is None:
        return
    assert bumped.max_fee_per_gas * 8 >= first.max_fee_per_gas * 9
    assert bumped.max_priority_fee_per_gas * 8 >= first.max_priority_fee_per_gas * 9
    assert bumped.max_priority_fee_per_gas > first.max_priority_fee_per_gas
    assert bumped.max_fee_per_gas <= POLICY.max_fee_per_gas_wei
    assert bumped.max_priority_fee_per_gas <= POLICY.max_priority_fee_per_gas_wei
    assert bumped.max_priority_fee_per_gas <= bumped.max_fee_per_gas

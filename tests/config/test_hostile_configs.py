"""Hostile configs, each run through the real CLI (``python -m bot check-config FILE`` in a
subprocess): every one is refused with exit 2 and a message naming the key and its line (or
the environment variable), or accepted with the warning it deserves; never a traceback, and never
an echo of a secret-looking value.

Each case starts from BASE (a trimmed config/testnet-aave-bsc.yaml with every section the
hostile cases aim at) and breaks one thing. Decisions the cases pin down:

- a UTF-8 byte-order mark is accepted (Windows editors write one); UTF-16 is refused;
- YAML anchors and aliases are allowed, but a document that expands past 20000 values (a
  "billion laughs") or an alias inside its own anchor is refused;
- numbers are read as YAML 1.2 reads them: an unquoted 0x... address stays a string, 0x10 and
  1:30 are not numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from tests.config.cli_runs import cli_outcomes

REPO = Path(__file__).resolve().parents[2]

BASE = """\
# hostile-config base: a trimmed config/testnet-aave-bsc.yaml; every case breaks one thing
network: testnet

positions:
  - name: bsc-main
    protocol: aave-v3
    chain_id: 56
    rpc_urls:
      - https://bsc-dataseed.bnbchain.org
      - https://bsc-rpc.publicnode.com
    addresses_provider: "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"
    wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    max_block_age_secs: 30

tokens:
  BTCB: {underlying: BTC}
  WBNB: {underlying: BNB}
  USDT: {underlying: USD}

hedge:
  venue: usdm
  margin_asset: BNB
  symbols: {BTC: BTCUSDT, BNB: BNBUSDT}
  leverage: 3
  margin_type: cross
  policy: {kind: health_target, target_hf: 1.5, r_max: 1.0}
  band: {rel: 0.10, abs_usd: 50}
  recv_window_ms: 5000
  caps:
    max_notional_per_symbol_usd: 20000
    max_total_notional_usd: 40000
    max_orders_per_hour: 30

schedule:
  interval_secs: 10
  fast_interval_secs: 0.45
  alert_hf: 1.3

alerts:
  telegram:
    - chat_id: "123456789"
      token_env: HEDGEBOT_TELEGRAM_TOKEN

journal:
  url: sqlite:///var/hedgebot-hostile.db

metrics:
  host: 127.0.0.1
  port: 9108

protect:
  trigger_hf: 1.3
  target_hf: 1.6
  reserve_tokens: [USDT]
  reserve_wallet: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
  max_per_action_usd: 10000
  max_per_day_usd: 30000
  max_fee_gwei: 5
  max_priority_fee_gwei: 1

paper:
  taker_fee: 0.0005
"""

# Well-known test keys (anvil's account 0 and a Hardhat mnemonic): never real funds.
PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcaeee4ff8dd9b0d2a"
MNEMONIC = "test test test test test test test test test test test junk"
ZERO = "0x0000000000000000000000000000000000000000"
WALLET = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
RESERVE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
PROVIDER = "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    content: str | bytes  # the file (ignored for kind "missing" and "directory")
    expect: tuple[str, ...]  # fragments of the output (whitespace-normalised)
    code: int = 2
    env: Mapping[str, str] = field(default_factory=dict)
    hidden: str | None = None  # a secret that must not appear in the output
    kind: Literal["file", "missing", "directory"] = "file"


def edit(old: str, new: str, text: str = BASE) -> str:
    """BASE with one exact, unique fragment replaced (a typo in a case fails loudly)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` occurrence of ``needle``."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1


Kind = Literal["file", "missing", "directory"]


def refused(
    case_id: str,
    content: str | bytes,
    *expect: str,
    env: Mapping[str, str] | None = None,
    hidden: str | None = None,
    kind: Kind = "file",
) -> Case:
    return Case(case_id, content, ("invalid config", *expect), 2, env or {}, hidden, kind)


def accepted(
    case_id: str, content: str | bytes, *expect: str, env: Mapping[str, str] | None = None
) -> Case:
    return Case(case_id, content, ("valid", *expect), 0, env or {})


def at(text: str, needle: str, nth: int = 1) -> str:
    return f"line {line_of(text, needle, nth)}:"


def _typed_cases() -> list[Case]:
    t = edit("leverage: 3", "leverage: three")
    return [
        refused("type-string-for-int", t, at(t, "leverage:"), "hedge.leverage", "valid integer"),
        refused("type-bool-for-int", edit("leverage: 3", "leverage: true"), "hedge.leverage",
                "not true/false"),
        refused("type-bool-for-float", edit("interval_secs: 10", "interval_secs: yes"),
                "schedule.interval_secs", "not true/false"),
        refused("type-bool-for-decimal", edit("max_fee_gwei: 5", "max_fee_gwei: on"),
                "protect.max_fee_gwei", "not true/false"),
        refused("type-list-for-mapping", edit("band: {rel: 0.10, abs_usd: 50}", "band: [0.1, 50]"),
                "hedge.band", "valid dictionary"),
        refused("type-mapping-for-list", edit("reserve_tokens: [USDT]", "reserve_tokens: {a: 1}"),
                "protect.reserve_tokens", "valid list"),
        refused("type-string-for-list", edit("    rpc_urls:\n      - https://bsc-dataseed.bnbchain.org\n"
                "      - https://bsc-rpc.publicnode.com", "    rpc_urls: https://x.example"),
                "positions.0.rpc_urls", "valid list"),
        refused("type-string-for-section", edit("  symbols: {BTC: BTCUSDT, BNB: BNBUSDT}",
                "  symbols: BTCUSDT"), "hedge.symbols", "valid dictionary"),
        refused("type-fraction-for-int", edit("chain_id: 56", "chain_id: 56.5"),
                "positions.0.chain_id", "fractional part"),
        refused("type-units-in-number", edit("max_fee_gwei: 5", "max_fee_gwei: 5 gwei"),
                "protect.max_fee_gwei", "valid decimal"),
        refused("type-hex-int", edit("leverage: 3", "leverage: 0x10"), "hedge.leverage",
                "valid integer"),
        refused("type-sexagesimal", edit("interval_secs: 10", "interval_secs: 1:30"),
                "schedule.interval_secs", "valid number"),
        refused("type-5000-digit-int", edit("leverage: 3", "leverage: " + "9" * 5000),
                "hedge.leverage"),
    ]  # fmt: skip


def _bound_cases() -> list[Case]:
    cap = "max_total_notional_usd: 40000"
    return [
        refused("bound-leverage-zero", edit("leverage: 3", "leverage: 0"), "hedge.leverage",
                "greater than or equal to 1"),
        refused("bound-leverage-negative", edit("leverage: 3", "leverage: -3"), "hedge.leverage"),
        refused("bound-leverage-126", edit("leverage: 3", "leverage: 126"), "hedge.leverage",
                "less than or equal to 125"),
        refused("bound-band-rel-zero", edit("rel: 0.10", "rel: 0"), "hedge.band.rel",
                "greater than 0"),
        refused("bound-band-rel-negative", edit("rel: 0.10", "rel: -0.1"), "hedge.band.rel"),
        refused("bound-cap-1e400", edit(cap, "max_total_notional_usd: 1e400"),
                "hedge.caps.max_total_notional_usd", "finite number"),
        refused("bound-cap-1e400-quoted", edit(cap, "max_total_notional_usd: '1e400'"),
                "hedge.caps.max_total_notional_usd", "less than or equal to 1000000000000"),
        refused("bound-cap-inf", edit(cap, "max_total_notional_usd: .inf"),
                "hedge.caps.max_total_notional_usd", "finite number"),
        refused("bound-cap-infinity-string", edit(cap, "max_total_notional_usd: Infinity"),
                "hedge.caps.max_total_notional_usd", "finite number"),
        refused("bound-abs-usd-nan", edit("abs_usd: 50", "abs_usd: .nan"), "hedge.band.abs_usd",
                "finite number"),
        refused("bound-cap-1e13", edit(cap, "max_total_notional_usd: 1.0e13"),
                "hedge.caps.max_total_notional_usd", "less than or equal to 1000000000000"),
        refused("bound-max-fee-1e12", edit("max_fee_gwei: 5", "max_fee_gwei: 1e12"),
                "protect.max_fee_gwei", "less than or equal to 10000"),
        refused("bound-max-fee-zero", edit("max_fee_gwei: 5", "max_fee_gwei: 0"),
                "protect.max_fee_gwei", "greater than 0"),
        refused("bound-recv-window-60000", edit("recv_window_ms: 5000", "recv_window_ms: 60000"),
                "hedge.recv_window_ms", "1 to 59999 ms"),
        refused("bound-recv-window-zero", edit("recv_window_ms: 5000", "recv_window_ms: 0"),
                "hedge.recv_window_ms", "1 to 59999 ms"),
        refused("bound-port-70000", edit("port: 9108", "port: 70000"), "metrics.port"),
        refused("bound-port-negative", edit("port: 9108", "port: -1"), "metrics.port"),
        refused("bound-interval-zero", edit("interval_secs: 10", "interval_secs: 0"),
                "schedule.interval_secs", "greater than 0"),
        refused("bound-interval-huge", edit("interval_secs: 10", "interval_secs: 1e9"),
                "schedule.interval_secs", "less than or equal to 3600"),
        refused("bound-block-age-zero", edit("max_block_age_secs: 30", "max_block_age_secs: 0"),
                "positions.0.max_block_age_secs"),
        refused("bound-chain-id-zero", edit("chain_id: 56", "chain_id: 0"), "positions.0.chain_id"),
        refused("bound-r-max-above-one", edit("r_max: 1.0", "r_max: 1.5"), "hedge.policy.r_max",
                "less than or equal to 1"),
        refused("bound-trigger-hf-one", edit("trigger_hf: 1.3", "trigger_hf: 1.0"),
                "protect.trigger_hf", "greater than 1"),
        refused("bound-target-hf-16", edit("target_hf: 1.6", "target_hf: 16"), "protect.target_hf",
                "less than or equal to 10"),
        refused("bound-taker-fee-half", edit("taker_fee: 0.0005", "taker_fee: 0.5"),
                "paper.taker_fee"),
        refused("bound-orders-per-hour-zero", edit("max_orders_per_hour: 30",
                "max_orders_per_hour: 0"), "hedge.caps.max_orders_per_hour"),
        refused("bound-alert-threshold-below-one", BASE.replace("alerts:\n",
                "alerts:\n  hf_thresholds: [1.5, 0.9]\n"), "alerts.hf_thresholds.1",
                "greater than 1"),
        refused("bound-simulation-seed-negative", BASE + "simulation:\n  collateral:\n"
                "    BTCB: {units: 1, liquidation_threshold: 0.78}\n  debt_usd: 40000\n"
                "  seed: -1\n", "simulation.seed"),
    ]  # fmt: skip


def _relation_cases() -> list[Case]:
    action = edit("max_per_action_usd: 10000", "max_per_action_usd: 50000")
    caps = edit("max_notional_per_symbol_usd: 20000", "max_notional_per_symbol_usd: 50000")
    return [
        refused("relation-action-above-day", action, at(action, "max_per_action_usd"),
                "max_per_action_usd (50000) must not exceed max_per_day_usd (30000)"),
        refused("relation-target-below-trigger", edit("target_hf: 1.6", "target_hf: 1.2"),
                "target_hf (1.2) must be above trigger_hf (1.3)"),
        refused("relation-symbol-cap-above-total", caps, at(caps, "max_notional_per_symbol"),
                "max_notional_per_symbol_usd (50000) must not exceed max_total_notional_usd"),
        refused("relation-fast-slower-than-interval", edit("fast_interval_secs: 0.45",
                "fast_interval_secs: 20"), "schedule", "fast_interval_secs (20.0) must not exceed"),
        refused("relation-priority-above-max-fee", edit("max_priority_fee_gwei: 1",
                "max_priority_fee_gwei: 6"), "max_priority_fee_gwei (6) must not exceed"),
        refused("relation-ladder-bands-crossed", edit(
                "{kind: health_target, target_hf: 1.5, r_max: 1.0}",
                "{kind: ladder, hf_high: 1.2, hf_low: 1.8}"), "hedge.policy",
                "hf_low (1.8) must be below hf_high (1.2)"),
        refused("relation-mainnet-without-opt-in", edit("network: testnet", "network: mainnet"),
                "line 2:", "allow_mainnet: true"),
    ]  # fmt: skip


def _encoding_cases() -> list[Case]:
    latin1 = BASE.replace("# hostile-config base", "# hostile-config café base").encode("latin-1")
    offset = latin1.index(b"\xe9")
    return [
        refused("encoding-latin-1", latin1, f"is not UTF-8 text (byte 0xe9 at offset {offset})"),
        refused("encoding-utf-16", BASE.encode("utf-16"), "is not UTF-8 text (byte 0xff at "
                "offset 0)", "UTF-16"),
        accepted("encoding-utf-8-bom-is-fine", b"\xef\xbb\xbf" + BASE.encode()),
        refused("encoding-nul-byte", edit("network: testnet", "network: test\0net"),
                "line 2:", "character #x0000 is not allowed"),
        refused("file-empty", "", "the file is empty"),
        refused("file-only-comments", "# nothing here\n", "the file is empty"),
        refused("file-top-level-list", "- network: testnet\n", "the top level is a list"),
        refused("file-top-level-scalar", "hedgebot\n", "the top level is a single value"),
        refused("file-syntax-error", edit("  leverage: 3", "  leverage: [3"), "not valid YAML",
                "line"),
        refused("file-tab-indent", edit("  leverage: 3", "\tleverage: 3"), "tab character"),
        refused("file-missing", "", "cannot read file", "No such file", kind="missing"),
        refused("file-is-a-directory", "", "cannot read file", "Is a directory",
                kind="directory"),
        refused("file-too-large", BASE + "#" * (1 << 20) + "\n", "larger than 1048576 bytes"),
        refused("file-unclosed-quote-hides-value", edit(f'wallet: "{WALLET}"',
                f'wallet: "{PRIVATE_KEY[:-2]}'), "not valid YAML", hidden=PRIVATE_KEY[:-2]),
    ]  # fmt: skip


def _yaml_trick_cases() -> list[Case]:
    dup = edit("  leverage: 3", "  leverage: 3\n  leverage: 50")
    top = BASE + "schedule:\n  interval_secs: 1\n"
    flow = edit("BTCB: {underlying: BTC}", "BTCB: {underlying: BTC, underlying: BNB}")
    item = edit(f'    wallet: "{WALLET}"', f'    wallet: "{WALLET}"\n    wallet: "{RESERVE}"')
    laughs = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 8))
    return [
        refused("dup-key-in-section", dup, "hedge.leverage", "duplicate key 'leverage'",
                f"first at line {line_of(dup, 'leverage: 3')}",
                f"again at line {line_of(dup, 'leverage: 50')}"),
        refused("dup-top-level-section", top, "duplicate key 'schedule'",
                f"first at line {line_of(top, 'schedule:')}",
                f"again at line {line_of(top, 'schedule:', 2)}"),
        refused("dup-key-in-flow-mapping", flow, "tokens.BTCB.underlying", "duplicate key"),
        refused("dup-key-in-list-item", item, "positions.0.wallet", "duplicate key 'wallet'"),
        refused("billion-laughs", "l0: &l0 [lol]\n" + laughs + "network: testnet\n",
                "billion laughs"),
        refused("recursive-alias", edit("reserve_tokens: [USDT]", "reserve_tokens: &r [*r]"),
                "alias refers to the anchor"),
        accepted("aliases-and-merge-keys-are-fine", BASE.replace("  - name: bsc-main\n",
                 "  - &main\n    name: bsc-main\n").replace("\ntokens:", "\n  - <<: *main\n"
                 "    name: bsc-second\n\ntokens:")),
        refused("tag-python-object", edit("leverage: 3",
                "leverage: !!python/object/apply:os.system ['echo pwned']"),
                "hedge.leverage", "YAML tag '!!python/object/apply:os.system' is not allowed"),
        refused("tag-binary", edit('chat_id: "123456789"', "chat_id: !!binary aGVsbG8="),
                "alerts.telegram.0.chat_id", "is not allowed"),
        refused("tag-custom-include", edit("url: sqlite:///var/hedgebot-hostile.db",
                "url: !include secrets.yaml"), "journal.url", "YAML tag '!include'"),
        refused("two-documents", BASE + "---\nnetwork: mainnet\n",
                "more than one YAML document", f"line {BASE.count(chr(10)) + 1}"),
        refused("nested-too-deep", edit("reserve_tokens: [USDT]",
                "reserve_tokens: " + "[" * 5000 + "]" * 5000), "nested more than"),
        refused("nested-deeper-than-schema", edit("reserve_tokens: [USDT]",
                "reserve_tokens: " + "[" * 40 + "]" * 40), "nested more than 24 levels"),
        accepted("unquoted-hex-address-stays-a-string",
                 edit(f'wallet: "{WALLET}"', f"wallet: {WALLET}")),
    ]  # fmt: skip


def _address_cases() -> list[Case]:
    short = PRIVATE_KEY.removeprefix("0x")
    pasted = "looks like a private key, not an address: never put keys in the config"
    return [
        refused("address-zero-reserve-wallet", edit(RESERVE, ZERO), "protect.reserve_wallet",
                "zero address"),
        refused("address-zero-wallet", edit(WALLET, ZERO), "positions.0.wallet", "zero address"),
        refused("address-zero-provider", edit(PROVIDER, ZERO), "positions.0.addresses_provider",
                "zero address"),
        refused("address-private-key-in-wallet", edit(WALLET, PRIVATE_KEY), "positions.0.wallet",
                pasted, hidden=short),
        refused("address-private-key-no-0x-in-reserve", edit(RESERVE, short),
                "protect.reserve_wallet", pasted, hidden=short),
        refused("address-private-key-unquoted", edit(f'"{RESERVE}"', PRIVATE_KEY),
                "protect.reserve_wallet", pasted, hidden=short),
        refused("address-bad-checksum", edit(WALLET, WALLET.replace("C5181", "c5181")),
                "positions.0.wallet", "bad EIP-55 checksum"),
        refused("address-too-short", edit(PROVIDER, "0x1234"), "positions.0.addresses_provider",
                "not an EVM address"),
        refused("address-as-number", edit(f'"{WALLET}"', "12345"), "positions.0.wallet",
                "quoted string"),
        refused("secret-private-key-in-chat-id", edit('"123456789"', f'"{PRIVATE_KEY}"'),
                "alerts.telegram.0.chat_id", "looks like a private key", hidden=short),
        refused("secret-mnemonic-in-chat-id", edit('"123456789"', f'"{MNEMONIC}"'),
                "alerts.telegram.0.chat_id", "seed phrase", hidden=MNEMONIC),
        refused("secret-api-secret-key", BASE + "api_secret: abcdef\n", "api_secret",
                "secrets must not be written in YAML", hidden="abcdef"),
    ]  # fmt: skip


def _unknown_key_cases() -> list[Case]:
    return [
        refused("unknown-top-level", BASE + "colour: blue\n", "colour", "unknown key 'colour'"),
        refused("unknown-in-section", edit("  leverage: 3", "  leverage: 3\n  levrage: 4"),
                "hedge.levrage", "unknown key 'levrage'"),
        refused("unknown-in-policy-named-like-a-kind", edit("r_max: 1.0}",
                "r_max: 1.0, ladder: 1}"), "hedge.policy.ladder", "unknown key 'ladder'"),
        refused("unknown-in-policy", edit("r_max: 1.0}", "r_max: 1.0, r_min: 0.2}"),
                "hedge.policy.r_min", "unknown key 'r_min'"),
        refused("policy-without-kind", edit("kind: health_target, ", ""), "hedge.policy",
                "a policy needs a kind"),
        refused("policy-unknown-kind", edit("kind: health_target", "kind: yolo"), "hedge.policy",
                "unknown policy 'yolo'"),
        refused("unknown-in-list-item", edit("    max_block_age_secs: 30",
                "    max_block_age_secs: 30\n    walet: x"), "positions.0.walet", "unknown key"),
        refused("unknown-in-caps", edit("max_orders_per_hour: 30", "max_orders_per_hour: 30\n"
                "    max_notional_usd: 5"), "hedge.caps.max_notional_usd", "unknown key"),
        refused("unknown-in-alert-item", edit("token_env: HEDGEBOT_TELEGRAM_TOKEN",
                "token_env: HEDGEBOT_TELEGRAM_TOKEN\n      chatid: 1"),
                "alerts.telegram.0.chatid", "unknown key"),
    ]  # fmt: skip


def _env_cases() -> list[Case]:
    env = "environment variable"
    return [
        refused("env-index-out-of-range", BASE, f"{env} HEDGEBOT__POSITIONS__5__WALLET",
                "no item 5", env={"HEDGEBOT__POSITIONS__5__WALLET": WALLET}),
        refused("env-index-not-a-number", BASE, f"{env} HEDGEBOT__POSITIONS__X__WALLET",
                "'x' is not an item number", env={"HEDGEBOT__POSITIONS__X__WALLET": WALLET}),
        refused("env-bad-value", BASE, f"{env} HEDGEBOT__HEDGE__LEVERAGE: hedge.leverage",
                "less than or equal to 125", env={"HEDGEBOT__HEDGE__LEVERAGE": "500"}),
        refused("env-key-below-a-value", BASE, "HEDGEBOT__HEDGE__LEVERAGE__X", "not a section",
                env={"HEDGEBOT__HEDGE__LEVERAGE__X": "1"}),
        refused("env-unknown-key", BASE, "HEDGEBOT__HEDGE__LEVRAGE", "unknown key 'levrage'",
                env={"HEDGEBOT__HEDGE__LEVRAGE": "4"}),
        refused("env-scalar-for-section", BASE, "HEDGEBOT__HEDGE: hedge", "valid dictionary",
                env={"HEDGEBOT__HEDGE": "5"}),
        *[
            refused(f"env-allow-mainnet-{value}", BASE, "HEDGEBOT__ALLOW_MAINNET",
                    "must be written in the config file", env={"HEDGEBOT__ALLOW_MAINNET": value})
            for value in ("true", "1", "yes", "on")
        ],
        refused("env-allow-mainnet-lower-case", BASE, "HEDGEBOT__allow_mainnet",
                "must be written in the config file", env={"HEDGEBOT__allow_mainnet": "true"}),
        refused("env-network-mainnet-without-opt-in", BASE, f"{env} HEDGEBOT__NETWORK",
                "allow_mainnet: true", env={"HEDGEBOT__NETWORK": "mainnet"}),
        refused("env-same-key-twice", BASE, "sets the same key as",
                env={"HEDGEBOT__HEDGE__LEVERAGE": "4", "HEDGEBOT__hedge__leverage": "5"}),
        refused("env-no-key", BASE, "HEDGEBOT__", "names no config key", env={"HEDGEBOT__": "x"}),
        refused("env-empty-segment", BASE, "HEDGEBOT__HEDGE____LEVERAGE", "empty key",
                env={"HEDGEBOT__HEDGE____LEVERAGE": "4"}),
        refused("env-private-key-in-wallet", BASE, "HEDGEBOT__POSITIONS__0__WALLET",
                "looks like a private key, not an address", hidden=PRIVATE_KEY[2:],
                env={"HEDGEBOT__POSITIONS__0__WALLET": PRIVATE_KEY}),
        refused("env-breaks-a-relation", BASE, "HEDGEBOT__PROTECT__MAX_PER_ACTION_USD",
                "must not exceed max_per_day_usd",
                env={"HEDGEBOT__PROTECT__MAX_PER_ACTION_USD": "90000"}),
        refused("env-yaml-tag-is-text", BASE, "HEDGEBOT__HEDGE__LEVERAGE", "valid integer",
                env={"HEDGEBOT__HEDGE__LEVERAGE": "!!python/object/apply:os.system [id]"}),
    ]  # fmt: skip


def _warning_cases() -> list[Case]:
    loud = "WITHOUT authentication"
    return [
        accepted("metrics-on-every-interface-warns", edit("host: 127.0.0.1", "host: 0.0.0.0"),
                 "metrics.host 0.0.0.0", loud, "EVERY network interface"),
        accepted("metrics-on-a-lan-address-warns", edit("host: 127.0.0.1", "host: 192.168.1.5"),
                 "metrics.host 192.168.1.5", loud),
        accepted("metrics-ipv6-any-warns", edit("host: 127.0.0.1", "host: '::'"),
                 "metrics.host ::", loud),
        accepted("metrics-override-from-env-warns", BASE, "metrics.host 0.0.0.0", loud,
                 env={"HEDGEBOT__METRICS__HOST": "0.0.0.0"}),  # noqa: S104
        refused("metrics-host-empty", edit("host: 127.0.0.1", "host: ''"), "metrics.host",
                "IP address or a host name"),
    ]  # fmt: skip


def _two_wallets() -> str:
    """BASE with a second position in another wallet and no protect.reserve_wallet."""
    second = (
        "  - name: bsc-second\n    protocol: aave-v3\n    chain_id: 56\n"
        "    rpc_urls: [https://bsc-dataseed.bnbchain.org]\n"
        '    addresses_provider: "0xff75B6da14FfbbfD355Daf7a2731456b3562Ba6D"\n'
        '    wallet: "0x90F79bf6EB2c4f870365E785982E1f101E93b906"\n'
    )
    text = BASE.replace('  reserve_wallet: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"\n', "")
    return text.replace("\ntokens:", "\n" + second + "\ntokens:", 1)


def _capital_cases() -> list[Case]:
    """The capital section moves real money: every relation is checked before a move."""
    ok = "\ncapital:\n  coin: USDT\n  network: BSC\n  reserve_target_usd: 20000\n"
    no_protect = BASE[: BASE.index("protect:")] + "paper:\n  taker_fee: 0.0005\n" + ok
    return [
        accepted("capital-valid", BASE + ok),
        refused("capital-without-protect", no_protect, "capital", "it needs protect"),
        refused("capital-coin-not-a-reserve-token", BASE + ok.replace("USDT", "USDC"),
                "capital.coin USDC must be one of protect.reserve_tokens"),
        refused("capital-transfer-above-day", BASE + ok + "  max_withdraw_per_transfer_usd: 90000\n"
                "  max_withdraw_per_day_usd: 50000\n",
                "max_withdraw_per_transfer_usd (90000) must not exceed"),
        refused("capital-floor-above-target", BASE + ok + "  reserve_floor_usd: 30000\n",
                "reserve_floor_usd (30000) must be under reserve_target_usd (20000)"),
        refused("capital-unknown-key", BASE + ok + "  withdraw_to: \"0x0\"\n", "withdraw_to"),
        refused("capital-floor-above-short-restore", BASE + ok + "  short_floor: 0.5\n",
                "capital.short_floor (0.5) must be under hedge.min_short_liq_distance"),
        refused("capital-deposit-cap-above-day", BASE + ok + "  max_deposit_per_transfer_usd: "
                "60000\n", "max_deposit_per_transfer_usd (60000) must not exceed"),
        refused("capital-deposit-address-zero", BASE + ok + "  deposit_address: \"0x"
                + "0" * 40 + "\"\n", "capital.deposit_address"),
        refused("capital-two-wallets-no-reserve-wallet", _two_wallets() + ok,
                "set protect.reserve_wallet"),
        refused("capital-interval-too-fast", BASE + ok + "  interval_secs: 0.5\n",
                "capital.interval_secs"),
        # Under 10 s a lost answer could be sent again while the venue still processes it.
        refused("capital-lost-answer-grace-too-short", BASE + ok
                + "  lost_answer_grace_secs: 2\n", "capital.lost_answer_grace_secs"),
    ]  # fmt: skip


CASES = [
    *_capital_cases(),
    *_typed_cases(),
    *_bound_cases(),
    *_relation_cases(),
    *_encoding_cases(),
    *_yaml_trick_cases(),
    *_address_cases(),
    *_unknown_key_cases(),
    *_env_cases(),
    *_warning_cases(),
]
# Refusing cases that `hedgebot run --dry-run` must stop with exit 2 before anything starts.
RUN_CASES = [
    "dup-key-in-section",
    "encoding-latin-1",
    "bound-recv-window-60000",
    "address-private-key-in-wallet",
    "env-allow-mainnet-true",
    "env-index-out-of-range",
    "billion-laughs",
    "file-missing",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    output: str  # stdout + stderr


def _environment(case: Case, secrets_dir: Path) -> dict[str, str]:
    """A clean environment: no inherited HEDGEBOT__ override or Binance key, no mounted
    secrets; the repository on the path."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "HEDGEBOT_SECRETS_DIR": str(secrets_dir),
        "LANG": "C.UTF-8",
    }
    env.update(case.env)
    return env


def _case_path(case: Case, folder: Path) -> Path:
    path = folder / f"{case.id}.yaml"
    if case.kind == "directory":
        path.mkdir()
    elif case.kind == "file":
        data = case.content if isinstance(case.content, bytes) else case.content.encode()
        path.write_bytes(data)
    return path


def run_cli(args: list[str], case: Case, folder: Path) -> Outcome:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO,
        env=_environment(case, folder / "no-secrets"),
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    return Outcome(result.returncode, result.stdout + result.stderr)


def _check_config(case: Case, folder: Path) -> Outcome:
    case_dir = folder / case.id
    case_dir.mkdir()
    return run_cli(["check-config", str(_case_path(case, case_dir))], case, case_dir)


def _check_config_run(case: Case, folder: Path) -> tuple[list[str], dict[str, str], Path]:
    """``check-config`` of ``case`` as ``cli_outcomes`` runs it (from the repository)."""
    case_dir = folder / case.id
    case_dir.mkdir()
    args = ["check-config", str(_case_path(case, case_dir))]
    return args, _environment(case, case_dir / "no-secrets"), REPO


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every selected case run at once, each in a fresh process (``cli_outcomes``)."""
    wanted = {
        item.callspec.params["case"].id
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    folder = tmp_path_factory.mktemp("hostile")
    selected = [c for c in CASES if c.id in wanted]
    results = cli_outcomes(_check_config_run(c, folder) for c in selected)
    return {
        case.id: Outcome(code, output)
        for case, (code, output) in zip(selected, results, strict=True)
    }


def test_there_are_at_least_sixty_distinct_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(RUN_CASES) <= {c.id for c in CASES if c.code == 2}


def test_every_file_case_differs_from_the_base() -> None:
    for case in CASES:
        if case.kind == "file" and not case.env and case.code == 2:
            assert case.content != BASE, case.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_config(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    flat = " ".join(outcome.output.split())
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.code == case.code, outcome.output
    for fragment in case.expect:
        assert fragment in flat, f"{fragment!r} missing from:\n{outcome.output}"
    if case.hidden is not None:
        assert case.hidden not in outcome.output, "a secret was echoed"


def test_the_base_config_is_valid(tmp_path: Path) -> None:
    outcome = _check_config(Case("base", BASE, ()), tmp_path)
    assert outcome.code == 0, outcome.output
    assert "Traceback" not in outcome.output


@pytest.mark.parametrize("case_id", RUN_CASES)
def test_run_stops_on_a_config_error_before_starting(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    path = _case_path(case, tmp_path)
    outcome = run_cli(
        ["run", "--config", str(path), "--dry-run", "--max-cycles", "1"], case, tmp_path
    )
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.code == 2, outcome.output
    assert "invalid config" in outcome.output

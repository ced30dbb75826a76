"""Aave v3 revert codes ("35") explained ("35 HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD").

The table is read from ``Errors.sol`` in the installed ``@aave/core-v3`` package, never typed
by hand; without the package the reason is passed through unchanged.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.devnet.anvil import tools_dir

ERRORS_SOL = Path("node_modules/@aave/core-v3/contracts/protocol/libraries/helpers/Errors.sol")
_CONSTANT = re.compile(r"string public constant (\w+) = '(\d+)';")
_CODE = re.compile(r"(?<![\w.])(\d{1,3})$")


@cache
def aave_error_names() -> dict[str, str]:
    path = tools_dir() / ERRORS_SOL
    if not path.is_file():
        return {}
    return {code: name for name, code in _CONSTANT.findall(path.read_text(encoding="utf-8"))}


def explain_revert(reason: str) -> str:
    """Append the Aave error name when ``reason`` ends in one of its numeric codes."""
    match = _CODE.search(reason.strip())
    if match is None:
        return reason
    name = aave_error_names().get(match.group(1))
    return f"{reason.strip()} ({name})" if name else reason

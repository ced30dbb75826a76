"""State file (``--state FILE``): atomic JSON writes, strict loading with clear errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from bot.emulator.state import STATE_VERSION, EmulatorState


class StateFileError(RuntimeError):
    pass


def load(path: Path) -> EmulatorState | None:
    """Return the saved state, or None when the file does not exist yet."""
    if not path.exists():
        return None
    try:
        state = EmulatorState.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise StateFileError(f"emulator state file {path} is not valid: {exc}") from exc
    if state.version != STATE_VERSION:
        raise StateFileError(
            f"emulator state file {path} has version {state.version}, expected {STATE_VERSION}"
        )
    return state


def save(path: Path, state: EmulatorState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(state.model_dump_json(indent=1).encode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

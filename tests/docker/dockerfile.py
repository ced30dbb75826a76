"""What the Docker image runs, read from docker/Dockerfile (no Docker engine here): its JSON-form
instructions, HEALTHCHECK command and ENV."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"


def instruction(name: str) -> list[str]:
    """The JSON-array form of the last ``name`` instruction (ENTRYPOINT, CMD)."""
    found = None
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith(f"{name} ["):
            found = json.loads(line[len(name) + 1 :])
    assert found is not None, f"{DOCKERFILE} has no JSON-form {name}"
    return list(found)


def healthcheck() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK"))
    return list(json.loads(line[line.index("CMD ") + 4 :]))


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env

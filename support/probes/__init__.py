"""Code that scenarios and tests submit into a sandbox, kept as files (it is data).

A probe is `support/probes/<name>.py`: a self-contained Python script. Isolation probes
print, as their LAST line of stdout, one JSON object:

    {"probe": "<name>", "blocked": true|false, "detail": "<what was seen>"}

`blocked: true` means the isolation held; run bare on the host (the negative control),
the same probe must print `blocked: false`. Parameters are written in the file as
`{{name}}` and filled by `load(name, name=value)`; a placeholder left unfilled is an error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PROBES_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def path(name: str) -> Path:
    p = PROBES_DIR / f"{name}.py"
    if not p.is_file():
        raise FileNotFoundError(f"no probe named {name!r} in {PROBES_DIR}")
    return p


def load(name: str, **params: object) -> str:
    """The probe's source with its {{placeholders}} filled from params."""
    source = path(name).read_text()

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in params:
            raise KeyError(f"probe {name!r} needs parameter {key!r}")
        return str(params[key])

    return _PLACEHOLDER.sub(fill, source)


def verdict(stdout: str) -> dict:
    """The JSON verdict from the last non-empty line of a probe's stdout."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("probe printed nothing")
    return json.loads(lines[-1])


def assert_blocked(found: dict, claim: str) -> None:
    """A probe's verdict says the attempt was blocked; otherwise `claim` does not hold, and
    the failure shows what the probe saw."""
    assert found["blocked"] is True, f"{claim} does not hold: {found['detail']}"

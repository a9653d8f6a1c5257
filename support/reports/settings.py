"""Bad suite settings as a one-line error naming the variable, not an INTERNALERROR traceback.

support/config.py reads the suite's settings from the environment. Parsing them with
`number()` raises `SettingError` for a value such as SUITE_TIMEOUT_SCALE=2x. It is a
pytest.UsageError, so raised anywhere while pytest configures or collects, pytest prints it
as one line and exits 4 (a ValueError there is an INTERNALERROR traceback):

    ERROR: SUITE_TIMEOUT_SCALE='2x': expected a number greater than 0, such as 2 or 1.5
"""

from __future__ import annotations

from typing import Callable, Mapping, TypeVar

import pytest

N = TypeVar("N", int, float)
EXAMPLES = {float: "a number greater than 0, such as 2 or 1.5", int: "a whole number greater than 0, such as 50"}


class SettingError(pytest.UsageError, ValueError):
    """A suite setting (an environment variable) with a value the suite cannot use."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        super().__init__(f"{variable}={value!r}: expected {expected}")
        self.variable = variable


def number(env: Mapping[str, str], variable: str, default: N, kind: Callable[[str], N] = float) -> N:
    """The positive number in `env[variable]`, `default` when unset or empty."""
    raw = (env.get(variable) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise SettingError(variable, raw, EXAMPLES.get(kind, f"a positive {kind.__name__}"))
    return value


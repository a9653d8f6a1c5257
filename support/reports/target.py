"""What the reports say about the deployment under test: its URL, its kind and its dialect.

The one place the reports learn about the target. Until the suite's spine exposes its
target description, it is read from the environment (SUITE_TARGET, API_URL, SUITE_DIALECT);
rewiring it to the spine is a change to `describe` alone.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Mapping


@dataclass(frozen=True)
class TargetDescription:
    """The target as a reader of a report needs it named."""

    name: str        # what the operator called it (SUITE_TARGET), else its URL, else "embedded"
    kind: str        # "embedded" (the suite started the reference platform) or "external"
    dialect: str     # which contract dialect the target speaks (SUITE_DIALECT), default "reference"
    api_url: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def describe(env: Mapping[str, str] | None = None) -> TargetDescription:
    env = os.environ if env is None else env
    api_url = env.get("API_URL") or None
    kind = "external" if api_url else "embedded"
    return TargetDescription(
        name=env.get("SUITE_TARGET") or api_url or "embedded",
        kind=kind,
        dialect=env.get("SUITE_DIALECT") or "reference",
        api_url=api_url,
    )

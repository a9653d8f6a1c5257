"""What the reports say about the target under test: its name, its kind and its dialect.

The one place the reports learn about the target. In this project's suite it is the session's
target (support/session.py: what support/config.py parsed, the dialect its clients read it
in, the operator's profile); a suite without that spine (tests/reports' tiny one) is
described from the environment (SUITE_TARGET, API_URL, SUITE_DIALECT).
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass

import pytest


@dataclass(frozen=True)
class TargetDescription:
    """The target as a reader of a report needs it named."""

    name: str         # the profile's name, else the target's one-line description
    kind: str         # embedded | http | command | inspect
    dialect: str      # the contract dialect the target was read in
    description: str  # e.g. "http: https://eval.example/api"
    notes: tuple[str, ...] = ()   # the session's own account: dialect, profile, which features applied

    def as_dict(self) -> dict:
        return {**asdict(self), "notes": list(self.notes)}


def _holder(config: pytest.Config | None):
    session = sys.modules.get("support.session")   # only a suite that uses the spine has it
    if config is None or session is None or session.SESSION_TARGET not in config.stash:
        return None
    return config.stash[session.SESSION_TARGET]


def describe(config: pytest.Config | None = None) -> TargetDescription:
    holder = _holder(config)
    if holder is not None:
        target = holder.requested
        dialect = holder.dialect_name() or target.dialect or ("n/a" if not target.is_platform else "not known")
        return TargetDescription(name=holder.profile.name or target.description, kind=target.kind,
                                 dialect=dialect, description=target.description,
                                 notes=tuple(holder.describe() + holder.applicability.lines()))
    api_url = os.environ.get("API_URL") or None
    kind = "http" if api_url else "embedded"
    description = f"http: {api_url}" if api_url else "embedded"
    return TargetDescription(name=os.environ.get("SUITE_TARGET") or description, kind=kind,
                             dialect=os.environ.get("SUITE_DIALECT") or "contract", description=description)

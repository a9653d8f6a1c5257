"""Waivers: a known failure, accepted by a named owner for a stated reason until a date.

`--waivers FILE` is YAML in the target profile's waiver format (support/profile.py, which
parses and checks it):

    waivers:
      - scenario: "network: Names cannot be resolved, not even by a DNS server on the host's loopback"
        justification: the staging cluster's DNS policy lands in OPS-12
        owner: platform-team
        expires: 2027-03-31
      - tag: resources            # every scenario tagged @resources
        justification: ...
        owner: ...
        expires: ...

A scenario is named "<feature file stem>: <scenario title>" (summary.json's `id`; an outline's
example adds " [<example id>]", and a waiver of the outline covers all its examples).

A waived scenario still runs. If it fails, pytest reports it as xfailed with
`wasxfail = "waived: <justification> (<owner>, until <date>)"` and every report shows it as
waived, never as passed; if it passes, it is passed. An expired waiver or a malformed file
stops the run before any scenario, with a one-line reason.

A target profile (or any plugin) waives through the same path: `waive(item, justification, source)`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from support import profile
from support.config import SettingError
from support.reports.model import Waiver

ITEM_WAIVER = pytest.StashKey[Waiver]()


def load(path: str, today: dt.date | None = None) -> tuple[profile.Waiver, ...]:
    """The file's waivers; SettingError (one line) for anything wrong with it."""
    loaded = profile.load(path, today)
    if loaded.name or loaded.capabilities is not None or loaded.limits:
        raise SettingError(f"{path}: a waiver file holds only 'waivers' (declarations belong in --target-profile)")
    return loaded.waivers


def waive(item: pytest.Item, justification: str, source: str) -> None:
    """Waive this scenario's failure for this run; `source` names who waives it ("profile staging")."""
    item.stash[ITEM_WAIVER] = Waiver(justification=justification, owner=source)


def waiver_of(item: pytest.Item, names: tuple[str, ...], tags: set[str],
              file_waivers: tuple[profile.Waiver, ...]) -> Waiver | None:
    """The waiver covering this item: one set by `waive`, else the first of the file's that
    names the scenario (under any of `names`) or one of its tags."""
    if ITEM_WAIVER in item.stash:
        return item.stash[ITEM_WAIVER]
    found = next((w for w in file_waivers if any(w.matches(name, tags) for name in names)), None)
    if found is None:
        return None
    return Waiver(justification=found.justification, owner=found.owner, until=found.expires.isoformat())

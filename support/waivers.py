"""Waivers: a known failure, accepted by a named owner for a stated reason until a date.

A waiver file (`--waivers FILE`) is YAML:

    waivers:
      - scenario: network/an-evaluation-cannot-reach-the-host   # the scenario id (summary.json)
        justification: the staging cluster has no egress policy yet, ticket OPS-12
        owner: platform-team
        expires: 2027-03-31

A waived scenario still runs. If it fails, pytest reports it as xfailed with
`wasxfail = "waived: <justification> (<owner>, until <date>)"` and every report shows it as
waived, never as passed; if it passes, it is simply passed. An expired waiver or a malformed
file stops the run before any scenario, with a one-line reason: a gate must not start with a
silently broken exception list.

A target profile waives through the same path with `waive(item, justification, source)`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from support.reports.model import Waiver

FIELDS = ("scenario", "justification", "owner", "expires")
ITEM_WAIVER = pytest.StashKey[Waiver]()


class WaiverError(ValueError):
    """A waiver file that cannot be trusted; its message is one line naming the file and entry."""


def _entry(path: Path, index: int, entry, today: dt.date) -> tuple[str, Waiver]:
    where = f"{path}: waiver #{index + 1}"
    if not isinstance(entry, dict):
        raise WaiverError(f"{where} is not a mapping with {', '.join(FIELDS)}")
    missing = [name for name in FIELDS if entry.get(name) in (None, "")]
    if missing:
        raise WaiverError(f"{where} lacks {', '.join(missing)}")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise WaiverError(f"{where} has unknown field(s) {', '.join(unknown)} (expected {', '.join(FIELDS)})")
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise WaiverError(f"{where} ({entry['scenario']}): expires {expires!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise WaiverError(f"{where} ({entry['scenario']}): expires {expires!r} is not a date (YYYY-MM-DD)")
    if expires < today:
        raise WaiverError(f"{where} ({entry['scenario']}) expired on {expires.isoformat()} "
                          f"(owner {entry['owner']}): renew it or fix the failure")
    waiver = Waiver(justification=str(entry["justification"]).strip(), owner=str(entry["owner"]),
                    until=expires.isoformat())
    return str(entry["scenario"]), waiver


def load(path: str | Path, today: dt.date | None = None) -> dict[str, Waiver]:
    """Scenario id -> waiver, or WaiverError naming the first problem."""
    path = Path(path)
    today = today or dt.date.today()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise WaiverError(f"{path}: cannot read the waiver file ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise WaiverError(f"{path}: not valid YAML{at}") from None
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise WaiverError(f"{path}: expected a mapping with a 'waivers' list")
    waivers: dict[str, Waiver] = {}
    for index, entry in enumerate(data["waivers"]):
        scenario_id, waiver = _entry(path, index, entry, today)
        if scenario_id in waivers:
            raise WaiverError(f"{path}: waiver #{index + 1} repeats scenario {scenario_id}")
        waivers[scenario_id] = waiver
    return waivers


def waive(item: pytest.Item, justification: str, source: str) -> None:
    """Waive this scenario's failure for this run (a target profile's known gap).

    `source` names who waives it (e.g. "profile k8s-staging"); reported like a file waiver.
    """
    item.stash[ITEM_WAIVER] = Waiver(justification=justification, owner=source)


def waiver_of(item: pytest.Item, scenario_id: str, file_waivers: dict[str, Waiver]) -> Waiver | None:
    """The waiver that covers this item: one set by `waive`, else the file's."""
    return item.stash.get(ITEM_WAIVER, None) or file_waivers.get(scenario_id)

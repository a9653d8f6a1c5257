"""The operator's target profile: what a target declares about itself when it cannot say it
(no `GET /api/platform`, or a sandbox with no API at all), and the promises the operator
waives for it, each with a justification.

```yaml
name: staging-eval           # shown in the reports (optional)
capabilities: [cancellation, output_streaming]   # optional features the target offers
limits: {pids: 256, scratch_mb: 512, output_limit_bytes: 1048576}
waivers:
  - scenario: "filesystem: /etc/shadow cannot be read"    # "<feature>: <scenario title>"
    justification: "the image ships no /etc/shadow; tracked in OPS-123"
    owner: platform-team
    expires: 2027-03-31
  - tag: resources                                        # every scenario with @resources
    justification: "bubblewrap limits nothing; the runner's systemd scope does"
    owner: platform-team
    expires: 2027-01-31
```

A profile never turns a scenario off in silence: the only way a promise stops failing a
target is a waiver, and a waived scenario still runs and is reported as waived. A profile
that cannot be read, a waiver without a justification, owner or expiry, or one already
expired, is a SettingError: one line, before anything runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.config import SettingError

# Optional features a profile (or /api/platform) may declare. Isolation promises are not
# among them: a target cannot opt out of isolation by claiming nothing.
OPTIONAL_CAPABILITIES = frozenset({"priority", "cancellation", "output_streaming"})
KNOWN_KEYS = frozenset({"name", "capabilities", "limits", "waivers"})
WAIVER_KEYS = frozenset({"scenario", "tag", "justification", "owner", "expires"})


@dataclass(frozen=True)
class Waiver:
    justification: str
    owner: str
    expires: dt.date
    scenario: str | None = None    # "<feature>: <scenario title>"
    tag: str | None = None

    def matches(self, scenario_id: str, tags: set[str]) -> bool:
        if self.scenario is not None:
            return self.scenario == scenario_id
        return self.tag in tags

    @property
    def reason(self) -> str:
        return f"waived: {self.justification} ({self.owner}, until {self.expires.isoformat()})"


@dataclass(frozen=True)
class TargetProfile:
    path: str | None = None
    name: str | None = None
    capabilities: frozenset[str] | None = None     # None: the profile declares none
    limits: dict[str, Any] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()

    def waiver_for(self, scenario_id: str, tags: set[str]) -> Waiver | None:
        return next((w for w in self.waivers if w.matches(scenario_id, tags)), None)


def _waiver(path: str, index: int, raw: Any, today: dt.date) -> Waiver:
    where = f"target profile {path}: waiver {index + 1}"
    if not isinstance(raw, dict):
        raise SettingError(f"{where} is not a mapping")
    unknown = set(raw) - WAIVER_KEYS
    if unknown:
        raise SettingError(f"{where} has unknown keys {sorted(unknown)} (known: {sorted(WAIVER_KEYS)})")
    if ("scenario" in raw) == ("tag" in raw):
        raise SettingError(f"{where} must name exactly one of 'scenario' or 'tag'")
    for key in ("justification", "owner", "expires"):
        if not str(raw.get(key) or "").strip():
            raise SettingError(f"{where} has no {key}: every waiver says why, who owns it and until when")
    expires = raw["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise SettingError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(expires, dt.date):
        raise SettingError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)")
    if expires < today:
        raise SettingError(f"{where} expired on {expires.isoformat()}: renew it or fix the target")
    tag = str(raw["tag"]).lstrip("@") if "tag" in raw else None
    return Waiver(justification=str(raw["justification"]).strip(), owner=str(raw["owner"]).strip(),
                  expires=expires, scenario=raw.get("scenario"), tag=tag)


def load(path: str | None, today: dt.date | None = None) -> TargetProfile:
    """The profile at `path` (None: an empty profile, which declares and waives nothing)."""
    if not path:
        return TargetProfile()
    today = today or dt.date.today()
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as exc:
        raise SettingError(f"target profile {path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SettingError(f"target profile {path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise SettingError(f"target profile {path}: must be a mapping of {sorted(KNOWN_KEYS)}")
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise SettingError(f"target profile {path}: unknown keys {sorted(unknown)} (known: {sorted(KNOWN_KEYS)})")
    capabilities = raw.get("capabilities")
    if capabilities is not None:
        if not isinstance(capabilities, list):
            raise SettingError(f"target profile {path}: capabilities must be a list")
        unknown = set(capabilities) - OPTIONAL_CAPABILITIES
        if unknown:
            raise SettingError(f"target profile {path}: capabilities {sorted(unknown)} are not optional features "
                               f"(known: {sorted(OPTIONAL_CAPABILITIES)}; isolation cannot be declared away, only waived)")
        capabilities = frozenset(capabilities)
    limits = raw.get("limits") or {}
    if not isinstance(limits, dict):
        raise SettingError(f"target profile {path}: limits must be a mapping")
    waivers = raw.get("waivers") or []
    if not isinstance(waivers, list):
        raise SettingError(f"target profile {path}: waivers must be a list")
    return TargetProfile(path=path, name=raw.get("name"), capabilities=capabilities, limits=dict(limits),
                         waivers=tuple(_waiver(path, i, w, today) for i, w in enumerate(waivers)))

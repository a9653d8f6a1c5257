"""summary.json: the run for scripts (and the next run's --baseline).

Counts by outcome and by severity, the target, its kind and dialect, the duration, the gate's
verdict under --fail-on, and each scenario's outcome under its stable id.
"""

from __future__ import annotations

import datetime as dt
import json

from support.reports.failures import first_line
from support.reports.model import RunModel

FORMAT = "evalgate-summary/1"


def document(model: RunModel) -> dict:
    return {
        "format": FORMAT,
        "target": model.target,
        "dialect": model.target["dialect"],
        "started": dt.datetime.fromtimestamp(model.started, dt.timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(model.duration, 3),
        "fail_on": model.fail_on,
        "gate": "passed" if model.gate_passed else "failed",
        "counts": {"total": len(model.scenarios), **model.counts()},
        "by_severity": model.counts_by_severity(),
        "baseline": model.baseline,
        "fixed": model.fixed,
        "other_failures": model.other_failures,
        "scenarios": [{
            "id": s.id, "name": s.name, "feature": s.feature.name, "uri": f"{s.feature.uri}:{s.line}",
            "severity": s.severity, "outcome": s.outcome, "duration_s": round(s.duration, 3),
            "reason": s.reason or None, "baseline": s.baseline,
            "failed_step": s.failed_step.text if s.failed_step else None,
            "seen": first_line(s.seen, 500) or None,
        } for s in model.scenarios],
    }


def render(model: RunModel) -> str:
    return json.dumps(document(model), indent=2)

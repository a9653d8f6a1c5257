"""A self-contained HTML report (no scripts, no external files): features → scenarios → steps.

The header names the target, its kind and dialect, the gate's verdict and counts by
severity. Failed scenarios are open, with the failing step and what was seen; waived and
skipped ones say why; passed ones fold away.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from support.reports.model import (
    OUTCOMES,
    SEVERITIES,
    RunModel,
    ScenarioResult,
    StepResult,
    slug,
)

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:70em;color:#1d1d1f}
h1{font-size:1.5em;margin:0}h2{font-size:1.15em;margin:1.6em 0 .4em}
.meta{color:#555}.meta b{color:#1d1d1f}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
.badge{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;padding:0 .4em;
 font-size:.85em;font-weight:600;color:#fff;margin-right:.4em}
.passed .badge,.badge.passed{background:#2e7d32}.failed .badge,.error .badge,.badge.failed,.badge.error{background:#c62828}
.waived .badge,.badge.waived{background:#ef6c00}.skipped .badge,.badge.skipped{background:#757575}
.sev{font-size:.8em;border:1px solid #999;border-radius:3px;padding:0 .3em;margin-right:.4em}
details.scenario{border-left:4px solid #ccc;margin:.3em 0;padding:.2em .6em}
details.failed,details.error{border-color:#c62828}details.waived{border-color:#ef6c00}
details.passed{border-color:#2e7d32}summary{cursor:pointer}
.why{margin:.3em 0;padding:.3em .6em;background:#fff3e0}
.seen{margin:.3em 0;padding:.4em .6em;background:#ffebee;white-space:pre-wrap;font-family:monospace}
.why-inline{color:#8d6e63}
.remediation{margin:.3em 0;color:#333}
ol.steps{margin:.3em 0;padding-left:1.6em;font-family:monospace}
li.failed{color:#c62828;font-weight:600}li.skipped{color:#888}li.undefined{color:#ef6c00}
.where{color:#888;font-weight:400;font-size:.85em;margin-left:.6em}
.verdict.passed{color:#2e7d32}.verdict.failed{color:#c62828}
"""


def _step(step: StepResult) -> str:
    error = f'<div class="seen">{escape(step.error)}</div>' if step.error else ""
    return (f'<li class="{step.status}" data-status="{step.status}">{escape(step.text)}'
            f'<span class="where">{escape(step.status)} · {escape(step.location)}</span>{error}</li>')


def _inline_reason(s: ScenarioResult) -> str:
    """A folded skipped scenario still says why, on its summary line."""
    return f' <span class="why-inline">— {escape(s.reason)}</span>' if s.outcome == "skipped" else ""


def _scenario(s: ScenarioResult) -> str:
    is_open = " open" if s.failing or s.outcome == "waived" else ""
    parts = [f'<details class="scenario {s.outcome}" id="scenario-{slug(s.id)}" data-id="{escape(s.id)}" data-outcome="{s.outcome}"{is_open}>',
             f'<summary><span class="badge">{s.outcome}</span><span class="sev">{s.severity}</span>'
             f'{escape(s.name)} <span class="where">{escape(s.feature.uri)}:{s.line} · {s.duration:.1f}s'
             f'{" · " + escape(s.baseline) if s.baseline else ""}</span>'
             f'{_inline_reason(s)}</summary>']
    if s.reason:
        parts.append(f'<div class="why">{escape(s.reason)}</div>')
    if s.failing or s.outcome == "waived":
        step = f"Failing step: {escape(s.failed_step.text)}. " if s.failed_step else ""
        parts.append(f'<div class="seen"><b>{step}What was seen:</b>\n{escape(s.seen)}</div>')
    if s.remediation:
        parts.append(f'<div class="remediation"><b>Remediation:</b> {escape(s.remediation)}</div>')
    parts.append('<ol class="steps">' + "".join(_step(step) for step in s.steps) + "</ol></details>")
    return "\n".join(parts)


def _counts(model: RunModel) -> str:
    table = model.counts_by_severity()
    head = "".join(f'<th><span class="badge {o}">{o}</span></th>' for o in OUTCOMES)
    rows = "".join(f"<tr><td>{sev}</td>" + "".join(f"<td>{table[sev][o]}</td>" for o in OUTCOMES) + "</tr>"
                   for sev in SEVERITIES)
    total = model.counts()
    rows += "<tr><th>all</th>" + "".join(f"<th>{total[o]}</th>" for o in OUTCOMES) + "</tr>"
    return f"<table><tr><th>severity</th>{head}</tr>{rows}</table>"


def _notes(target: dict) -> str:
    """The session's own account of the target: dialect, profile, which features applied."""
    notes = target.get("notes") or []
    if not notes:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in notes)
    return f'<details class="notes"><summary>Target and applicability</summary><ul>{items}</ul></details>'


def render(model: RunModel) -> str:
    target = model.target
    verdict = "passed" if model.gate_passed else "failed"
    started = dt.datetime.fromtimestamp(model.started, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    features = "\n".join(
        f'<section class="feature"><h2>{escape(feature.keyword)}: {escape(feature.name)}'
        f' <span class="where">{escape(feature.uri)}</span></h2>\n' + "\n".join(map(_scenario, scenarios)) + "</section>"
        for feature, scenarios in model.features())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>evalgate: {escape(target['name'])}</title>
<style>{STYLE}</style></head><body>
<header><h1>Acceptance gate: <span class="verdict {verdict}">{verdict}</span></h1>
<p class="meta">Target <b id="target">{escape(target['name'])}</b> · kind <b id="target-kind">{escape(target['kind'])}</b>
· dialect <b id="target-dialect">{escape(target['dialect'])}</b> · started {started} · {model.duration:.1f}s
· fails on <b>{escape(model.fail_on)}</b> and above</p>
{_counts(model)}{_notes(target)}</header>
<main>
{features}
</main></body></html>
"""

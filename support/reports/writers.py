"""Writes every report of the run model into the report directory."""

from __future__ import annotations

from pathlib import Path

from support.reports import cucumber, html, junit, sarif, summary
from support.reports.model import RunModel

FILES = {
    "cucumber.json": cucumber.render,
    "junit.xml": junit.render,
    "results.sarif": sarif.render,
    "report.html": html.render,
    "summary.json": summary.render,
}


def write_all(model: RunModel, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in FILES.items():
        path = directory / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written

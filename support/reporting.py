"""Measurements shown in the terminal report, never asserted (the @load feature's
throughput and latency). Steps add sections; the root conftest prints them at the end
and each section is also attached to its test's JUnit/cucumber report as a property."""

from __future__ import annotations

import pytest

SECTIONS = pytest.StashKey[list]()


def configure(config: pytest.Config) -> None:
    config.stash[SECTIONS] = []


def add_section(request: pytest.FixtureRequest, title: str, lines: list[str]) -> None:
    request.config.stash[SECTIONS].append((title, lines))
    request.node.user_properties.append((title, "; ".join(lines)))


def terminal_summary(terminalreporter, config: pytest.Config) -> None:
    for title, lines in config.stash.get(SECTIONS, []):
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0.5 = median)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]

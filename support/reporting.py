"""What the terminal summary shows beside pytest's own lines: the target and which features
applied to it, and measurements (the @load feature's throughput and latency) that are
reported, never asserted. Steps add sections; the root conftest prints them at the end
and each section is also attached to its test's JUnit/cucumber report as a property."""

from __future__ import annotations

import pytest

SECTIONS = pytest.StashKey[list]()
NOTED = pytest.StashKey[set]()


def configure(config: pytest.Config) -> None:
    config.stash[SECTIONS] = []
    config.stash[NOTED] = set()


def add_section(request: pytest.FixtureRequest, title: str, lines: list[str]) -> None:
    request.config.stash[SECTIONS].append((title, lines))
    request.node.user_properties.append((title, "; ".join(lines)))


def note_once(request: pytest.FixtureRequest, title: str, lines: list[str]) -> None:
    """A section shown once per run, however many scenarios report it."""
    if title not in request.config.stash[NOTED]:
        request.config.stash[NOTED].add(title)
        add_section(request, title, lines)


def terminal_summary(terminalreporter, config: pytest.Config, target: list[str], applicability: list[str]) -> None:
    if applicability:
        terminalreporter.write_sep("-", "target")
        for line in target + applicability:
            terminalreporter.write_line(line)
    for title, lines in config.stash.get(SECTIONS, []):
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0.5 = median)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]

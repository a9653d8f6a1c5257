"""Reading the data tables and lists of a Gherkin step."""

from __future__ import annotations

import re


def names_in(text: str) -> list[str]:
    """'mount, unshare and bpf' -> ['mount', 'unshare', 'bpf']."""
    return [name.strip() for name in re.split(r",| and ", text) if name.strip()]


def column(datatable: list[list[str]]) -> list[str]:
    """The values of a one-column data table, below its header."""
    return [row[0].strip() for row in datatable[1:]]

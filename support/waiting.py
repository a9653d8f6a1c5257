"""Polling with deadlines: the suite's only way to wait.

A fixed sleep either wastes time or flakes; a poll returns as soon as the condition
holds, and on timeout it says what it saw last, so a failure reads as a diagnosis
("still running after 10 s: {...}") rather than a bare `assert False`.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

DEFAULT_INTERVAL = 0.02


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline; `last` is the last state seen."""

    def __init__(self, description: str, timeout: float, last: object):
        super().__init__(f"timed out after {timeout:.1f}s waiting for {description}; last seen: {last!r}")
        self.last = last


def until(probe: Callable[[], T], holds: Callable[[T], bool], *, timeout: float,
          description: str, interval: float = DEFAULT_INTERVAL) -> T:
    """Call `probe` until `holds(value)`; return that value, or raise WaitTimeout.

    `probe` raising is treated as "not yet" (the exception becomes the last state seen),
    because the thing polled is often not there yet (a key, a row, a listener).
    """
    deadline = time.monotonic() + timeout
    last: object = "<never polled>"
    while True:
        try:
            value = probe()
        except Exception as exc:  # noqa: BLE001 - "not yet", reported on timeout
            last = exc
        else:
            if holds(value):
                return value
            last = value
        if time.monotonic() >= deadline:
            raise WaitTimeout(description, timeout, last)
        time.sleep(interval)


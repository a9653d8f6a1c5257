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
BACKOFF = 1.25     # the growth of the pause between probes, when a maximum is given


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline; `last` is the last state seen."""

    def __init__(self, description: str, timeout: float, last: object):
        super().__init__(f"timed out after {timeout:.1f}s waiting for {description}; last seen: {last!r}")
        self.last = last


def until(probe: Callable[[], T], holds: Callable[[T], bool], *, timeout: float,
          description: str, interval: float = DEFAULT_INTERVAL, max_interval: float | None = None) -> T:
    """Call `probe` until `holds(value)`; return that value, or raise WaitTimeout.

    `probe` raising is treated as "not yet" (the exception becomes the last state seen),
    because the thing polled is often not there yet (a key, a row, a listener).
    With `max_interval`, the pause grows by BACKOFF after each "not yet", up to it: a
    probe that costs the target work (an API request) is not repeated 50 times a second
    through a long wait. The last pause ends at the deadline, so a condition that holds
    by then is seen whatever the interval.
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
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(description, timeout, last)
        time.sleep(min(interval, left))
        if max_interval is not None:
            interval = min(interval * BACKOFF, max_interval)


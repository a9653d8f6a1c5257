"""Watching, from outside, for something that must never happen while a scenario goes on.

A promise like "a cancelled evaluation never runs" cannot be judged from the record the
platform keeps afterwards: a platform that runs it anyway and then writes a clean record
passes that. So a `Sightings` samples what a user can see (the running set, the live log,
the status channels) in a background thread for as long as the scenario's steps take,
and keeps every moment the forbidden thing was seen.
"""

from __future__ import annotations

import threading
from typing import Callable

SAMPLE_S = 0.02


class Sightings:
    """Calls `look()` every SAMPLE_S from start to stop; keeps each truthy answer (a
    description of what was seen). An exception from `look` is kept as what was seen
    last, never raised in the thread."""

    def __init__(self, look: Callable[[], object]):
        self._look = look
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="sightings")
        self.seen: list[object] = []
        self.samples = 0
        self.last_error: str | None = None

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                found = self._look()
            except Exception as exc:   # noqa: BLE001 - reported by the Then, not lost in a thread
                self.last_error = f"{type(exc).__name__}: {exc}"
            else:
                self.samples += 1
                if found:
                    self.seen.append(found)
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> "Sightings":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> "Sightings":
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return self

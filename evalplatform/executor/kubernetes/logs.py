"""The evaluation container's log, split back into stdout, stderr and the runner's result.

The log is the program's stdout followed by the runner's trailer line (see runner.py
for why). The trailer is found by its LAST occurrence: a program can print a fake one,
but the runner writes the real one after the program is dead, so a fake one is always
followed by the real one and stays part of stdout. A log without a trailer (the runner
was killed: deadline, OOM, deletion) is all stdout, and the Pod's state tells the rest.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Optional

from evalplatform.executor.kubernetes.runner import TRAILER


@dataclass(frozen=True)
class SplitLog:
    stdout: bytes
    trailer: Optional[dict]      # the runner's result; None when it never wrote one

    @property
    def stderr(self) -> bytes:
        if not self.trailer:
            return b""
        try:
            return base64.b64decode(self.trailer.get("stderr_b64", ""), validate=True)
        except (binascii.Error, ValueError):
            return b""


def split_log(raw: bytes) -> SplitLog:
    at = raw.rfind(TRAILER)
    if at < 0:
        return SplitLog(raw, None)
    line = raw[at + len(TRAILER):].split(b"\n", 1)[0]
    try:
        trailer = json.loads(line)
    except ValueError:
        return SplitLog(raw, None)
    if not isinstance(trailer, dict):
        return SplitLog(raw, None)
    return SplitLog(raw[:at], trailer)


def live_prefix(raw: bytes) -> bytes:
    """The part of a growing log that is surely program output (for live `on_output`).

    Everything before the first trailer marker, less a tail that could be the start of
    one still being written.
    """
    at = raw.find(TRAILER)
    if at >= 0:
        return raw[:at]
    for keep in range(len(TRAILER) - 1, 0, -1):
        if raw.endswith(TRAILER[:keep]):
            return raw[:-keep]
    return raw

"""A failure as a person reads it: what was seen first, then the step, then where.

pytest-bdd's own traceback of a failing step is ~25 lines of fixture internals before the
step's decorator line; these helpers keep the message and the project's own frames only.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from support.reports.bdd import relative
from support.reports.model import StepResult

# Frames of these are pytest's and pytest-bdd's plumbing; what is left and has a project
# path (support/reports/bdd.py: relative) is the suite's own code.
PROJECT_PACKAGES = frozenset({"features", "steps", "support", "evalplatform"})
INTERNALS = ("/_pytest/", "/pytest_bdd/", "/pluggy/", "<frozen")


def seen(exception: BaseException) -> str:
    """The exception as what was seen: its message first (pytest's assertion text included)."""
    message = str(exception).strip()
    if isinstance(exception, AssertionError) and message:
        return message
    name = type(exception).__name__
    return f"{name}: {message}" if message else name


def project_frames(exception: BaseException, root: Path, limit: int = 4) -> list[str]:
    """The innermost frames in this project's code, "steps/x.py:40 in then_it_completes"."""
    frames = []
    for frame in traceback.extract_tb(exception.__traceback__):
        if any(marker in frame.filename for marker in INTERNALS):
            continue
        in_root = Path(frame.filename).is_relative_to(root) and "site-packages" not in frame.filename
        shown = relative(frame.filename, root)
        if in_root or shown.split("/", 1)[0] in PROJECT_PACKAGES:
            frames.append(f"{shown}:{frame.lineno} in {frame.name}")
    return frames[-limit:]


def step_message(step: StepResult, uri: str, what: str, frames: list[str]) -> str:
    """The report text of a failed step: what was seen, then which step, then where."""
    lines = [what, "", f"failing step: {step.text} ({uri}:{step.line}; defined at {step.location})"]
    if frames:
        lines += ["in:"] + [f"  {frame}" for frame in frames]
    return "\n".join(lines)


def first_line(text: str, width: int = 160) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"

"""The host the embedded stack runs on: its processes and files.

Only meaningful when the suite started the platform itself (same host); scenarios that
use it are tagged @host and skipped, with the reason, against an external target.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def processes_of(eval_id: str) -> list[int]:
    """PIDs of host processes that belong to the evaluation's sandbox.

    Two marks, between them covering every engine: the sandboxed code and its children
    inherit EVAL_ID=<eval_id> in their environment (nsjail, bubblewrap); the engine's own
    host processes carry the evaluation's id in their command line, through its work
    directory (runsc, its gofer and sandbox, and gVisor's ptrace stubs, whose code is not
    a host process of its own).
    """
    mark_env = f"EVAL_ID={eval_id}".encode()
    mark_cmd = eval_id.encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as environ, \
                    open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                if mark_env in environ.read().split(b"\0") or mark_cmd in cmdline.read():
                    found.append(int(entry.name))
        except OSError:   # gone meanwhile, or a kernel thread
            continue
    return found


@contextmanager
def marker_file(directory: Path) -> Iterator[Path]:
    """A uniquely named file in `directory`, removed afterwards."""
    path = directory / f".acceptance-suite-marker-{uuid.uuid4().hex}"
    path.write_text("if an evaluation can read this, the host's files are visible\n")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def home() -> Path:
    return Path.home()


def project_file() -> Path:
    """A file that exists in the project's directory on the host."""
    return PROJECT_ROOT / "pytest.ini"

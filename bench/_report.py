"""Where the benchmarks put their results: JSON (and PNG plots) under reports/bench/.

Every result file carries the host's load average before and after and the core count:
the machine may be shared, and a reader must be able to tell a quiet run from a busy one.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parents[1] / "reports" / "bench"


def host_facts() -> dict:
    return {"cpus": os.cpu_count(), "load_average": list(os.getloadavg()),
            "python": platform.python_version(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_json(name: str, result: dict) -> Path:
    """reports/bench/<name>.json (the directory is made when missing); returns the path."""
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"host": host_facts(), **result}, indent=2) + "\n")
    return path


def figure_path(name: str) -> Path:
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    return REPORTS_DIR / f"{name}.png"

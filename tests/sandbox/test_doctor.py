"""`python -m evalplatform doctor`: passes on this host (real sandboxed prints), and
fails with what to install when no engine can isolate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalplatform import doctor
from evalplatform.sandbox import engines
from evalplatform.sandbox.engines.base import Availability

pytestmark = pytest.mark.sandbox
REPO = Path(__file__).resolve().parents[2]


def test_doctor_passes_here_with_real_sandboxed_prints():
    done = subprocess.run([sys.executable, "-m", "evalplatform", "doctor", "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["engine"] in ("nsjail", "bwrap")
    for name in ("nsjail", "bwrap"):
        assert report["engines"][name]["smoke"]["ok"], report["engines"][name]
    assert {"memory", "pids"} <= set(report["cgroups"]["controllers"])


def test_doctor_fails_with_what_to_install_when_nothing_isolates(monkeypatch, capsys):
    monkeypatch.setattr(engines, "availability", lambda name: Availability(
        False, detail=f"{name} missing: apt-get install it"))
    assert doctor.main([]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "make setup" in out and "nsjail missing" in out

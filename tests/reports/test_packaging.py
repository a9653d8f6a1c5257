"""`pip install .` gives an `evalgate` command that runs the suite against a target.

The package is built from this checkout and installed (without dependencies) into a fresh
venv that sees the project venv's packages, then run from a directory far from the checkout:
`evalgate --help`, and one cheap feature against the embedded platform."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from reportsuite import PROJECT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# What a fresh clone has: no venv, caches, reports or build leftovers (setuptools builds in
# the source tree, so the copy also keeps the checkout clean).
ANYWHERE = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.egg-info")
AT_THE_TOP = {".git", ".venv", ".cache", ".data", "reports", "build"}


def not_in_a_clone(directory: str, names: list[str]) -> set[str]:
    top = {name for name in names if name in AT_THE_TOP} if Path(directory) == PROJECT else set()
    return top | ANYWHERE(directory, names)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("clone") / "evalgate"
    shutil.copytree(PROJECT, source, ignore=not_in_a_clone, symlinks=True)
    root = tmp_path_factory.mktemp("evalgate-venv")
    venv.create(root, with_pip=False, system_site_packages=False)
    site = Path(subprocess.check_output([root / "bin" / "python", "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # The project venv's packages (the dependencies), behind the ones installed here.
    (site / "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install",
                           "--no-deps", "--quiet", str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def test_evalgate_help_names_its_options(installed, tmp_path):
    done = subprocess.run([installed / "bin" / "evalgate", "run", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for option in ("--target", "--report-dir", "--waivers", "--baseline", "--fail-on"):
        assert option in done.stdout


def test_the_installed_suite_comes_from_the_package_not_the_checkout(installed, tmp_path):
    where = subprocess.check_output([installed / "bin" / "python", "-c",
                                     "import features, support, evalgate; print(support.__file__)"],
                                    cwd=tmp_path, text=True)
    assert str(installed) in where and str(PROJECT) not in where


def test_evalgate_run_passes_a_cheap_feature_on_the_embedded_platform(installed, tmp_path):
    done = subprocess.run([installed / "bin" / "evalgate", "run", "--feature", "failures",
                           "--report-dir", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["gate"] == "passed" and summary["counts"]["passed"] == summary["counts"]["total"] > 0
    assert summary["target"]["kind"] == "embedded"
    assert summary["scenarios"][0]["uri"].startswith("features/failures.feature:")
    assert re.search(r"^\[\s*1/\d+\] PASSED", done.stdout, re.MULTILINE), "one line per scenario"


def test_evalgate_names_an_unknown_feature(installed, tmp_path):
    done = subprocess.run([installed / "bin" / "evalgate", "run", "--feature", "nosuch"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 4 and "no feature nosuch" in done.stderr

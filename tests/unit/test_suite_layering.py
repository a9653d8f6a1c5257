"""The suite's own layering: features (bindings and their steps) -> steps (the shared
vocabulary) -> support (the only code that knows the target), and the reference platform
imported by the suite in the two places that start or break a stack of it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Layer -> the top-level packages it may import (besides the standard library and PyPI).
MAY_IMPORT = {"features": {"steps", "support", "features"}, "steps": {"support"}, "support": {"support"}}
# The suite's only doors into the reference platform, and why.
PLATFORM_IMPORTS = {"support/session.py": "starts the embedded stack",
                    "support/chaos.py": "a chaos scenario's stack of its own, whose processes it kills"}
OURS = {"features", "steps", "support", "evalplatform", "tests"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & OURS


def modules(layer: str):
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "probes" not in p.parts or p.name == "__init__.py")


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_no_layer_imports_one_above_it(layer):
    wrong = {}
    for path in modules(layer):
        rel = str(path.relative_to(ROOT))
        allowed = MAY_IMPORT[layer] | ({"evalplatform"} if rel in PLATFORM_IMPORTS else set())
        if bad := imports_of(path) - allowed:
            wrong[rel] = sorted(bad)
    assert not wrong, f"imports above or beside their layer: {wrong}"


def test_the_layer_check_notices_a_back_arrow(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from steps.evaluation_steps import run\nimport evalplatform.stack\n")
    assert imports_of(sneaky) == {"steps", "evalplatform"}

"""The platform reads as its data flows: api -> queue -> executor -> sandbox, and no module
imports one above it.

Every import of an `evalplatform` module (at the top or inside a function) is parsed with
`ast`, so a lazy import cannot hide a back arrow. The base modules (the vocabulary and the
services beside the flow) may be imported by every layer and import only each other; the
tools on top (the CLI, the embedded stack) may import anything. A new top-level module or
package fails the test until it is given its place below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "evalplatform"

BASE = 0
TOP = 99
# Top-level module or package -> its layer; a higher number may import a lower one.
LAYERS = {
    "": BASE,               # evalplatform/__init__.py: the version
    "contract": BASE, "failpoints": BASE, "run": BASE, "settings": BASE,
    "state": BASE, "store": BASE,
    "sandbox": 1,           # engines, cgroups, limits
    "executor": 2,          # local (-> sandbox) or kubernetes
    "queue": 3,
    "api": 4,
    "cli": TOP, "stack": TOP, "__main__": TOP,
    "doctor": TOP,          # `python -m evalplatform doctor`
    "pgcluster": TOP, "supervise": TOP, "stack_services": TOP,   # the embedded stack's parts
    "inspect_sandbox": TOP,  # inspect_ai's sandbox provider: a client of the API, over HTTP only
}


def top_of(module: str) -> str:
    """'evalplatform.queue.app' -> 'queue'; 'evalplatform' -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(source: str, module: str, is_package: bool) -> set[str]:
    """The evalplatform modules `source` (the text of `module`) imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:           # relative: resolved against this module's package
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            if base == "evalplatform":      # `from evalplatform import sandbox`: the submodule
                found.update(f"evalplatform.{alias.name}" for alias in node.names
                             if alias.name in LAYERS)
    return {name for name in found if name == "evalplatform" or name.startswith("evalplatform.")}


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    here = LAYERS[top_of(module)]
    problems = []
    for target in sorted(imported(source, module, is_package)):
        there = LAYERS.get(top_of(target))
        if there is None:
            problems.append(f"{module} imports {target}, which has no layer")
        elif here != TOP and there > here:
            problems.append(f"{module} (layer {top_of(module) or 'evalplatform'}) imports {target}, "
                            f"a layer above it")
    return problems


def platform_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_top_level_module_has_a_layer():
    tops = {top_of(module_name(p)) for p in platform_modules()}
    assert tops - set(LAYERS) == set(), "give each new module or package its layer in LAYERS"


def test_no_module_imports_one_above_it():
    problems = []
    for path in platform_modules():
        problems += violations(path.read_text(), module_name(path), path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize("module, source", [
    ("evalplatform.sandbox.runner", "from evalplatform.executor.local import LocalExecutor"),
    ("evalplatform.executor.local", "def f():\n    from evalplatform.queue import app\n"),
    ("evalplatform.run", "import evalplatform.sandbox.cgroups"),
    ("evalplatform.queue.evaluation", "from evalplatform import api"),
    ("evalplatform.executor.kubernetes.jobrun", "from ...api import system"),
])
def test_negative_control_a_back_arrow_is_found(module, source):
    assert violations(source, module), f"{source!r} in {module} should be a violation"


def test_negative_control_downward_and_base_imports_pass():
    assert violations("from evalplatform.sandbox import runner\nfrom evalplatform import contract",
                      "evalplatform.executor.local") == []
    assert violations("from evalplatform.api.app import create_app", "evalplatform.cli.up") == []

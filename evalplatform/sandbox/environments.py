"""The interpreters code can run in, and what each promises.

An environment is an interpreter plus the host directories bound read-only (at the same
paths) so that it works inside a sandbox, and the libraries it promises (published at
/api/environments). Nothing else of the host is visible.

- `python`: the platform's base interpreter (sys.base_prefix of the running Python,
  e.g. the pyenv prefix /root/.pyenv/versions/3.11.7 — exactly that path is bound, nothing
  else of /root) with its standard library only.
- `python-ml`: a venv of that interpreter at {envs_dir}/python-ml (made by `make setup`)
  with numpy, pandas, scipy and scikit-learn; listed only when it is installed.
"""

from __future__ import annotations

import sys
import sysconfig
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Optional

from evalplatform.settings import Settings, get_settings

ML_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn")


class UnknownEnvironment(KeyError):
    """A request named an environment this host does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Environment:
    name: str
    interpreter: str                 # absolute path, the same inside the sandbox
    ro_binds: tuple[str, ...]        # host directories bound read-only at the same paths
    python_version: str
    # -I: no PYTHON* variables, no user site, no script directory on sys.path. (`site`
    # still runs: exit() and quit() exist, and a venv finds its own site-packages.)
    flags: tuple[str, ...] = ("-I",)
    # The base interpreter's site-packages, hidden inside the sandbox behind an empty
    # directory: whatever is installed globally there (and its .pth start-up hooks, ~40 ms
    # on this host's pyenv) is neither promised nor visible.
    masked: tuple[str, ...] = ()
    libraries: dict[str, str] = field(default_factory=dict)   # promised library -> version
    description: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "language": "python", "interpreter": self.interpreter,
                "python_version": self.python_version, "libraries": dict(self.libraries),
                "description": self.description}


def _base_site_packages() -> tuple[str, ...]:
    prefix = sys.base_prefix
    paths = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
    return tuple(dict.fromkeys((paths["purelib"], paths["platlib"])))


def _base() -> Environment:
    prefix = sys.base_prefix
    return Environment(
        name="python",
        interpreter=f"{prefix}/bin/python3",
        ro_binds=(prefix,),
        python_version=".".join(map(str, sys.version_info[:3])),
        masked=_base_site_packages(),
        description="The platform's Python with its standard library only.",
    )


@lru_cache(maxsize=8)
def _ml(envs_dir: str) -> Optional[Environment]:
    """Scanning the venv's metadata costs ~0.1 s, so it is done once per process."""
    venv = Path(envs_dir) / "python-ml"
    interpreter = venv / "bin" / "python"
    cfg = venv / "pyvenv.cfg"
    site = sorted(venv.glob("lib/python3*/site-packages"))
    if not (interpreter.exists() and cfg.is_file() and site):
        return None
    values = {key.strip(): value.strip() for key, _, value in
              (line.partition("=") for line in cfg.read_text().splitlines()) if value}
    home = Path(values.get("home", "")).parent        # the base prefix it was made from
    versions = {d.metadata["Name"].lower(): d.version
                for d in metadata.distributions(path=[str(site[0])])}
    if not home.is_dir() or any(lib not in versions for lib in ML_LIBRARIES):
        return None
    return Environment(
        name="python-ml",
        interpreter=str(interpreter),
        ro_binds=(str(home), str(venv)),
        python_version=values.get("version", ""),
        libraries={lib: versions[lib] for lib in ML_LIBRARIES},
        masked=_base_site_packages(),
        description="Python with numpy, pandas, scipy and scikit-learn.",
    )


def list_environments(settings: Settings | None = None) -> list[Environment]:
    """Every environment usable on this host (python-ml only when installed)."""
    settings = settings or get_settings()
    return [env for env in (_base(), _ml(settings.envs_dir)) if env is not None]


def get_environment(name: str, settings: Settings | None = None) -> Environment:
    for env in list_environments(settings):
        if env.name == name:
            return env
    known = ", ".join(e.name for e in list_environments(settings))
    raise UnknownEnvironment(f"unknown environment {name!r}; available: {known}")

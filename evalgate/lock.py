"""Writes requirements.lock: the exact versions, from this environment, of everything that
requirements.txt needs (its requirements, their extras and dependencies, transitively;
nothing else installed here). CI and `make setup` install from it, so every machine runs
the versions this one was tested with.

    python -m evalgate.lock requirements.txt > requirements.lock    (make lock)
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = ("# Exact versions for CI and `make setup`: everything requirements.txt needs, as installed\n"
          "# where the suite passed. Regenerate with `make lock` after changing requirements.txt.\n")


def requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def wanted(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Distribution name -> installed version, for the roots and all they require."""
    pinned: dict[str, str] = {}
    extras_seen: dict[str, set[str]] = {}
    queue = list(roots)
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        new_extras = set(requirement.extras) - extras_seen.get(name, set())
        if name in pinned and not new_extras:
            continue
        distribution = metadata.distribution(name)
        pinned[name] = distribution.version
        extras_seen[name] = extras_seen.get(name, set()) | set(requirement.extras)
        for dependency in map(Requirement, distribution.requires or []):
            if wanted(dependency, extras_seen[name]):
                queue.append(dependency)
    return pinned


def main(argv: list[str]) -> int:
    source = Path(argv[1] if len(argv) > 1 else "requirements.txt")
    pinned = closure(requirements(source))
    sys.stdout.write(HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pinned.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""requirements.lock pins everything requirements.txt needs, within its bounds, as installed here."""

from __future__ import annotations

from importlib import metadata

from packaging.utils import canonicalize_name

from evalgate import lock
from reportsuite import PROJECT


def pins() -> dict[str, str]:
    lines = (line.strip() for line in (PROJECT / "requirements.lock").read_text().splitlines())
    return dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))


def test_the_lock_pins_every_requirement_within_its_bounds():
    pinned = pins()
    for requirement in lock.requirements(PROJECT / "requirements.txt"):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is in requirements.txt but not in requirements.lock (make lock)"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"requirements.lock pins {name}=={pinned[name]}, outside requirements.txt's {requirement}"


def test_the_lock_is_what_this_environment_runs():
    """A lock that drifted from the venv the tests pass in is a lie; `make lock` refreshes it."""
    drifted = {name: (version, metadata.version(name)) for name, version in pins().items()
               if metadata.version(name) != version}
    assert not drifted, f"pinned vs installed: {drifted}"


def test_the_lock_is_the_closure_of_requirements_txt():
    assert pins() == lock.closure(lock.requirements(PROJECT / "requirements.txt"))

"""Binds features/libraries.feature: environments as the platform lists them, checked from the inside.

The libraries feature's Scenario Outline has an empty Examples table with the column
`environment`; `pytest_generate_tests` below fills it with the environments that
GET /api/environments lists, so a deployment is checked for what IT promises. This
needs the target at collection time (the embedded stack starts then, once).
"""
from __future__ import annotations

import json

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from pytest_bdd.scenario import scenario_wrapper_template_registry

from support import platform_facts
from support.session import session_target

scenarios("libraries.feature")

LIVE_COLUMN = "environment"


def _wants_live_environments(function) -> bool:
    template = scenario_wrapper_template_registry.get(function)
    return template is not None and any(
        examples.example_params == [LIVE_COLUMN] and not examples.examples for examples in template.examples)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not _wants_live_environments(metafunc.function):
        return
    if not session_target(metafunc.config).requested.is_platform:
        # Not applicable to a sandbox target (support/gating.py skips it): one placeholder example.
        metafunc.parametrize("_pytest_bdd_example", [{LIVE_COLUMN: "python"}], ids=["python"])
        return
    api = session_target(metafunc.config).clients().api
    names = [e["name"] for e in platform_facts.environments_of(api.environments())]
    assert names, "GET /api/environments lists no environment"
    metafunc.parametrize("_pytest_bdd_example", [{LIVE_COLUMN: name} for name in names], ids=names)


# -- steps only this feature uses --

@given(parsers.parse('the environment "{name}" as the platform lists it'))
def environment_listed(context, api, name):
    context.environment = platform_facts.listed_environment(api, name)


@when("I import every library it promises inside it")
def import_promised(context, sandbox):
    libraries = sorted(platform_facts.libraries_of(context.environment))
    context.imports = context.probe(sandbox, "library_imports", run_fields={"environment": context.environment["name"]},
                                    libraries=json.dumps(libraries))


@then("every promised library imports, at the version listed")
def libraries_import(context):
    promised = platform_facts.libraries_of(context.environment)
    found = context.imports["libraries"]
    broken = {name: found.get(name) for name in promised
              if not found.get(name) or found[name]["error"] or not found[name]["modules"]}
    assert not broken, f"promised libraries that do not import: {broken}"
    versions = {name: (version, found[name]["version"]) for name, version in promised.items()
                if version is not None and found[name]["version"] != version}
    assert not versions, f"listed vs installed versions differ: {versions}"


@then("the interpreter inside is the version listed")
def interpreter_version(context):
    listed = platform_facts.interpreter_version(context.environment)
    assert context.imports["python_version"] == listed, \
        f"listed {listed!r}, the interpreter inside is {context.imports['python_version']!r}"

"""Binds features/imports.feature: one feature, one test module (`pytest features/test_imports.py`)."""
from __future__ import annotations

from pytest_bdd import parsers, scenarios, then, when

from support import platform_facts

scenarios("imports.feature")


# -- steps only this feature uses --

@then(parsers.parse('the output is the python version the platform lists for "{name}"'))
def output_is_listed_version(context, api, name):
    listed = platform_facts.interpreter_version(platform_facts.listed_environment(api, name))
    assert context.outcome()["output"] == f"{listed}\n"


@when(parsers.parse('I run in the "{environment}" environment:'))
def run_in(context, evaluations, docstring, environment):
    context.submit(evaluations, docstring, environment=environment)
    context.outcome()


@when(parsers.parse('I run with executor_image "{image}":'))
def run_with_executor_image(context, evaluations, docstring, image):
    context.submit(evaluations, docstring, executor_image=image)
    context.outcome()


@then("the output is the line holding the evaluation's own id")
def output_is_own_id(context):
    assert context.outcome()["output"] == context.eval_id + "\n"


@then(parsers.parse('the record names the environment "{environment}"'))
def record_names_environment(context, environment):
    assert context.outcome()["environment"] == environment

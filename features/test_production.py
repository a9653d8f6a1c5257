"""Binds features/production.feature: one feature, one test module (`pytest features/test_production.py`)."""
from __future__ import annotations

from pytest_bdd import parsers, scenarios, then

scenarios("production.feature")


# -- steps only this feature uses --

@then(parsers.parse('the sandbox engine is "{engine}"'))
def engine_is(context, engine):
    assert context.platform.engine == engine, f"the platform reports engine {context.platform.engine!r}"


@then("it reports network isolation among its capabilities")
def network_isolation_reported(context):
    assert "network_isolation" in context.platform.capabilities, sorted(context.platform.capabilities)


@then("it reports a default timeout, a memory limit and an output limit")
def default_limits(context):
    facts = context.platform
    for what, names in {"default timeout": ("default_timeout_s", "timeout_s"),
                        "memory limit": ("default_memory_mb", "memory_mb"),
                        "output limit": ("output_limit_bytes", "output_bytes")}.items():
        value = facts.limit(*names)
        assert isinstance(value, (int, float)) and value > 0, f"no {what} among the limits: {facts.limits}"

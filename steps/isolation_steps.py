"""The shared vocabulary of the isolation features: a probe's verdict.

Each isolation claim is a probe (support/probes) run on the target through the session's
runner (`context.probe(sandbox, ...)`), aimed at something the suite made itself and
first showed to be reachable from the host. The probe's negative control, the same probe
run bare on the host, is in tests/escape/.
"""

from __future__ import annotations

from pytest_bdd import then

from support.probes import assert_blocked


@then("the attempt is blocked")
def attempt_blocked(context):
    assert_blocked(context.verdict, "isolation")

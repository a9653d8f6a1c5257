"""Every scenario of the acceptance run fails under at least one failpoint (issue 12).

Static and cheap: it reads the feature files and the catalogue, runs nothing. A scenario
that no failpoint is seen to fail is either a scenario that cannot fail for a platform
fault (then it is named in CANNOT_FAIL, with the reason) or a gap in the self-test.
Whether the named failpoints really fail them is test_gate_strength.py's business.
"""

from __future__ import annotations

from .catalogue import CANNOT_FAIL, acceptance_scenarios, caught_scenarios


def test_every_acceptance_scenario_is_caught_by_a_failpoint():
    scenarios = acceptance_scenarios()
    assert len(scenarios) >= 100, f"found too few scenarios in the feature files: {len(scenarios)}"
    uncaught = sorted(set(scenarios) - caught_scenarios() - CANNOT_FAIL.keys())
    assert not uncaught, (f"{len(uncaught)} scenarios of the acceptance run fail under no failpoint "
                          f"(name them in CATCHERS, or in CANNOT_FAIL with the reason): {uncaught}")


def test_the_scenarios_that_cannot_fail_are_few_and_named_nowhere_else():
    assert len(CANNOT_FAIL) <= 8, f"{len(CANNOT_FAIL)} scenarios that cannot fail: replace them by checks that can"
    assert not CANNOT_FAIL.keys() & caught_scenarios(), "a scenario is both caught and said to be uncatchable"
    assert CANNOT_FAIL.keys() <= acceptance_scenarios().keys(), "CANNOT_FAIL names a scenario the acceptance run lacks"
    assert all(len(reason) > 40 for reason in CANNOT_FAIL.values()), "say why each cannot fail"


def test_every_caught_scenario_exists():
    known = set(acceptance_scenarios())
    # @chaos scenarios are caught in `make test`, outside the acceptance run.
    unknown = {s for s in caught_scenarios() - known if s[0] != "chaos"}
    assert not unknown, f"CATCHERS names scenarios the acceptance run does not have: {sorted(unknown)}"

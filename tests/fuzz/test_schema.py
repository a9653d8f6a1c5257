"""Schemathesis against the platform's own OpenAPI document (/openapi.json).

Every operation gets schema-valid and schema-invalid requests, then random workflows
follow the links schemathesis infers (submit -> read, status, logs, cancel). Each answer
is checked: no 5xx, a status code, content type, headers and body that the document
declares, and invalid input refused with a 4xx. Afterwards no evaluation the fuzzing
submitted may be left unfinished.

One check is off: "schema-valid data is accepted". The document states the types but
not every rule the validators enforce (code non-blank, timeout 1..max, the environment
names, the memory and CPU quantity formats), so schema-valid requests are refused with a
422 that names the field, which is right; docs/reliability.md lists what is missing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from support.contract import TERMINAL

pytestmark = pytest.mark.integration

SKIPPED_CHECKS = [positive_data_acceptance]
# Few examples, derandomized: the fuzz run stays well under a minute, and a failure comes
# back on the next run with the same inputs.
MAX_EXAMPLES = 25
EXAMPLES = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
STATEFUL = settings(max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
                    database=None, suppress_health_check=list(HealthCheck))
NON_TERMINAL = ("submitted", "queued", "provisioning", "running")
# Fuzzed code is mostly syntax errors; a valid program may still ask for the longest timeout.
SETTLE_TIMEOUT = 60.0


def check_operation(operation, mode: GenerationMode) -> None:
    @EXAMPLES
    @given(case=operation.as_strategy(generation_mode=mode))
    def answers_as_documented(case):
        case.call_and_validate(excluded_checks=SKIPPED_CHECKS)

    answers_as_documented()


# Not schemathesis.pytest.from_fixture + parametrize: its lazy loader breaks on pytest 9
# (Function._nodeid). The document still comes from the running platform; each
# operation and mode is fuzzed in turn, and every failing one is reported.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_as_documented(api_schema, mode):
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            check_operation(operation, mode)
        except Unsatisfiable:
            continue   # negative mode: nothing in this operation can be made invalid
        except Exception as exc:  # noqa: BLE001 - collected, then reported together
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())


def test_random_workflows_answer_as_documented(api_schema):
    class Workflow(api_schema.as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, additional_checks=additional_checks,
                                   excluded_checks=SKIPPED_CHECKS,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    run_state_machine_as_test(Workflow, settings=STATEFUL)


def test_nothing_the_fuzzing_submitted_is_left_unfinished(fuzz_api, fuzz_evaluations):
    """Runs after the fuzzing above (file order): every evaluation on the fuzz stack ends."""
    unfinished = set()
    for status in NON_TERMINAL:
        unfinished |= fuzz_evaluations.listed_ids(status)
    records = fuzz_evaluations.wait_all_terminal(sorted(unfinished), timeout=SETTLE_TIMEOUT)
    assert all(r["status"] in TERMINAL for r in records)
    counts = fuzz_api.queue_status()
    assert not any(counts[s] for s in NON_TERMINAL if s in counts), f"still unfinished: {counts}"

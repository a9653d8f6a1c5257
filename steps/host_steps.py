"""The shared vocabulary of an evaluation's processes on the host (scenarios tagged @host)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from support import host, waiting


@given("its processes are running on the host")
@when("its processes are running on the host")
def processes_running(context, target):
    context.host_pids = waiting.until(lambda: host.processes_of(context.eval_id), lambda pids: len(pids) >= 2,
                                      timeout=target.seconds(10),
                                      description="the evaluation and its child to run on the host")


@then(parsers.re(r"none of its processes is left on the host within (?P<seconds>\d+) seconds?"))
def no_process_left(context, target, seconds):
    """Counts the engine's own host processes too (runsc's cleanup takes a moment)."""
    seconds = int(seconds)
    waiting.until(lambda: host.processes_of(context.eval_id), lambda pids: not pids,
                  timeout=target.seconds(seconds), description=f"the processes {context.host_pids} to be gone")

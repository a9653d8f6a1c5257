"""evalplatform/inspect_sandbox.py, inspect's sandbox API on the embedded stack: exec as
evaluations, files replayed into each fresh evaluation, inspect's errors for timeouts and
users. Driven as inspect drives a provider (task_init, sample_init, ..., sample_cleanup)."""

from __future__ import annotations

import asyncio

import pytest
from inspect_ai.util import SandboxUserUnsupportedError
from inspect_ai.util._sandbox.registry import registry_find_sandboxenv

from evalplatform import inspect_sandbox
from support import probes
from tests.targets.helpers import code

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api_url():
    from evalplatform.stack import Stack

    with Stack() as stack:
        yield stack.urls["API_URL"]


def in_sample(api_url: str, steps):
    """Run `steps(sandbox)` inside one sample of the provider, as inspect would."""
    cls = inspect_sandbox.EvalplatformSandboxEnvironment
    config = cls.config_deserialize({"url": api_url})

    async def sample():
        await cls.task_init("test", config)
        environments = await cls.sample_init("test", config, {})
        try:
            return await steps(environments["default"])
        finally:
            await cls.sample_cleanup("test", config, environments, False)
            await cls.task_cleanup("test", config, True)

    return asyncio.run(sample())


def test_the_provider_is_registered_under_its_name():
    assert registry_find_sandboxenv("evalplatform") is inspect_sandbox.EvalplatformSandboxEnvironment


def test_exec_runs_the_command_as_an_evaluation(api_url):
    async def steps(sandbox):
        return (await sandbox.exec(["python3", "-c", code("exit_3")]),
                await sandbox.exec(["python3", "-c", code("echo_stdin")], input="shout"),
                await sandbox.exec(["python3", "-c", code("show_cwd_env")], cwd="work/sub",
                                   env={"SUITE_VALUE": "set"}))

    exited, echoed, placed = in_sample(api_url, steps)
    assert (exited.success, exited.returncode) == (False, 3)
    assert (echoed.success, echoed.stdout) == (True, "SHOUT")
    cwd, value = placed.stdout.split()
    assert cwd.endswith("/work/sub") and value == "set"


def test_written_files_are_replayed_into_every_later_evaluation(api_url):
    async def steps(sandbox):
        await sandbox.write_file("notes/replayed.txt", "kept")
        ran = await sandbox.exec(["python3", "-c", code("read_replayed")])
        return ran, await sandbox.read_file("notes/replayed.txt")

    ran, read = in_sample(api_url, steps)
    assert (ran.stdout, read) == ("kept", "kept")


def test_read_file_of_a_missing_path_is_file_not_found(api_url):
    async def steps(sandbox):
        with pytest.raises(FileNotFoundError):
            await sandbox.read_file("/no/such/file")

    in_sample(api_url, steps)


def test_a_platform_timeout_raises_timeout_error(api_url):
    async def steps(sandbox):
        with pytest.raises(TimeoutError):
            await sandbox.exec(["python3", "-c", probes.load("load_slow", seconds=30)], timeout=1)

    in_sample(api_url, steps)


def test_another_user_is_refused(api_url):
    async def steps(sandbox):
        with pytest.raises(SandboxUserUnsupportedError):
            await sandbox.exec(["true"], user="root")

    in_sample(api_url, steps)


def test_an_inspect_task_runs_its_tool_code_on_the_platform(api_url, tmp_path):
    """inspect's own eval loop (a mock model): the task names the sandbox ("evalplatform",
    config) as any inspect task would, writes a file and runs code that reads it back."""
    from inspect_ai import Task, eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import solver
    from inspect_ai.util import sandbox

    @solver
    def answer_from_the_sandbox():
        async def solve(state, generate):
            await sandbox().write_file("answer.txt", "42")
            state.output.completion = (await sandbox().exec(["python3", "-c", code("print_answer")])).stdout
            return state
        return solve

    task = Task(dataset=[Sample(input="what is in answer.txt?", target="42")], solver=answer_from_the_sandbox(),
                scorer=includes(), sandbox=("evalplatform", {"url": api_url}))
    (log,) = inspect_eval(task, model="mockllm/model", log_dir=str(tmp_path), display="none")
    assert (log.status, log.error) == ("success", None)
    assert log.results.scores[0].metrics["accuracy"].value == 1.0

"""GET /api/platform says what the executor and its engine enforce, nothing more.

The answer is built from the description a worker's heartbeat carries (its executor's
`describe()`), so these tests put a real executor's description in a real heartbeat (in
the core stack's Redis) and read the endpoint of the real API app: the local executor
under each engine this host has (nsjail, bubblewrap, gVisor when runsc works) and the
kubernetes executor pointed at the API-server emulator. The last test reads the running
embedded stack's endpoint over HTTP, as its own worker reported itself.

Negative controls: the kubernetes answer must lack what the local one has (`pids_limit`,
the `pids` limit), and a worker that claims nothing gets nothing claimed for it beyond
the queue's own priority: no list of capabilities is written into the endpoint.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from evalplatform.api.app import create_app
from evalplatform.executor.kubernetes import KubernetesExecutor
from evalplatform.executor.local import LocalExecutor
from evalplatform.queue import liveness
from evalplatform.run import default_limits
from evalplatform.sandbox import engines
from evalplatform.settings import Settings
from tests.k8s.emulator import Emulator, Script

pytestmark = pytest.mark.integration

# What every local executor enforces, whatever its engine: its engine's isolation, the
# runner's supervision, the run cgroup's memory and pids limits.
LOCAL = {"network_isolation", "filesystem_isolation", "memory_limit", "pids_limit", "timeout",
         "output_limit", "output_streaming", "cancellation"}


def _engine(name: str):
    marks = [pytest.mark.sandbox]
    if name == "gvisor":
        marks.append(pytest.mark.gvisor)
        if not engines.availability("gvisor").ok:
            marks.append(pytest.mark.skip(reason=engines.availability("gvisor").detail))
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture
def answer_for(connected):
    """answer_for(description) -> GET /api/platform while one worker heartbeats it."""
    client = TestClient(create_app())     # no lifespan: state stays on the core stack

    @contextmanager
    def reporting(description: dict):
        assert liveness.live_workers() == [], "another worker heartbeats on the core stack"
        beat = liveness.Heartbeat(liveness.make_worker_id(f"platform-test@{os.uname().nodename}"),
                                  {"concurrency": 2, "executor_info": description})
        beat.beat()
        try:
            yield
        finally:
            beat.stop()

    def answer_for(description: dict) -> dict:
        with reporting(description):
            response = client.get("/api/platform")
        assert response.status_code == 200, response.text
        return response.json()
    return answer_for


@pytest.mark.parametrize("engine", [_engine("nsjail"), _engine("bwrap"), _engine("gvisor")])
def test_a_local_executor_reports_its_engine_cgroup_limits_and_only_gvisor_claims_gvisor(answer_for, engine):
    settings = Settings(sandbox_engine=engine)
    answer = answer_for(LocalExecutor(settings).describe())
    assert (answer["executor"], answer["engine"], answer["worker_slots"]) == ("local", engine, 2)
    assert answer["engine_version"] == engines.availability(engine).version
    expected = LOCAL | {"priority"} | ({"gvisor"} if engine == "gvisor" else set())
    assert set(answer["capabilities"]) == expected
    defaults = default_limits(settings)
    limits = answer["limits"]
    assert (limits["default_timeout_s"], limits["default_memory_mb"], limits["pids"], limits["scratch_mb"],
            limits["output_limit_bytes"]) == (defaults.timeout_s, defaults.memory_mb, defaults.pids,
                                              defaults.scratch_mb, defaults.stdout_bytes)
    assert limits["max_timeout_s"] == settings.max_timeout_s and limits["max_code_bytes"] > 0
    assert answer["reaper_grace_s"] == settings.reaper_grace_s


def test_the_kubernetes_executor_claims_no_pids_limit_and_its_cpu_limit(answer_for):
    with Emulator(Script([])) as emulator:
        executor = KubernetesExecutor(Settings(k8s_api_host=emulator.url, k8s_namespace="evals"))
        described = executor.describe()
    assert described["available"], described["detail"]
    answer = answer_for(described)
    assert (answer["executor"], answer["engine"]) == ("kubernetes", "gvisor")
    capabilities = set(answer["capabilities"])
    assert "pids_limit" not in capabilities and "pids" not in answer["limits"]
    assert {"gvisor", "cpu_limit", "memory_limit", "network_isolation", "timeout", "priority"} <= capabilities
    assert answer["limits"]["default_cpu_cores"] == 1.0       # settings.k8s_cpu_limit "1"


def test_negative_control_a_worker_that_claims_nothing_gets_only_the_queues_priority(answer_for):
    answer = answer_for({"executor": "local", "engine": "nsjail", "capabilities": [], "limits": {}})
    assert answer["capabilities"] == ["priority"]
    assert "pids" not in answer["limits"] and "default_timeout_s" not in answer["limits"]


def test_the_running_stack_reports_what_its_own_worker_enforces(stack):
    answer = httpx.get(f"{stack.urls['API_URL']}/platform", timeout=10).json()
    here = LocalExecutor(Settings()).describe()         # the same host, the same settings
    assert (answer["executor"], answer["engine"]) == ("local", here["engine"])
    assert set(answer["capabilities"]) == set(here["capabilities"]) | {"priority"}
    assert answer["limits"]["pids"] == here["limits"]["pids"]

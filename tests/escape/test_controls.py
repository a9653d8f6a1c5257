"""Negative controls of the escape battery: every probe its features submit, run BARE on
the host (a plain subprocess of the same interpreter, tests/sandbox/conftest.run_bare),
with the parameters the features give it, must report the breach (`blocked: false`).
A probe that reports "blocked" both inside and outside a sandbox proves nothing.

Parameters are read from the feature files themselves (their data tables and lists), so
the control runs what the scenario runs. Where a feature points a probe at something of
the host's (a process, a socket, a token), the control plants one, since this host may
not have it. Probes whose control already lives in tests/sandbox/ are listed in
CONTROLLED_IN_SANDBOX_TESTS, not repeated here; a test checks that every probe used by
the escape features' binding modules (features/test_<feature>.py) is controlled in one of
the two places.
"""

from __future__ import annotations

import os
import re
import socket
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_bdd.feature import get_feature

from evalplatform.settings import get_settings
from features.test_resources import FILL_HOLD_S
from support import host_exposure, host_ipc
from support.tables import column, names_in
from tests.sandbox.conftest import run_bare

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
ESCAPE_FEATURES = ("resources", "privileges", "secrets", "persistence")
STEP_MODULES = [FEATURES / f"test_{name}.py" for name in ESCAPE_FEATURES]
SANDBOX_TESTS = ROOT / "tests" / "sandbox"

pytestmark = pytest.mark.isolation

# Probe -> the test in tests/sandbox/ that already runs it bare and sees the breach.
CONTROLLED_IN_SANDBOX_TESTS = {
    "daemon_survivor": "test_limits.py::test_daemon_probe_control_leaves_a_survivor_bare",
    "pids_fork_bomb": "test_limits.py::test_fork_bomb_contained_and_host_responsive",
    "fs_scratch_limit": "test_limits.py::test_scratch_is_size_limited",
    "proc_status_privileges": "test_isolation.py::test_claim_blocked_and_control_detects",
    "pid_namespace": "test_isolation.py::test_claim_blocked_and_control_detects",
    "seccomp_denied": "test_isolation.py::test_seccomp_denies_each_required_syscall",
}
# Probe -> its control in this directory, where run_bare cannot plant the breach.
CONTROLLED_IN_ESCAPE_TESTS = {
    "fd_inherited": "test_hardening_controls.py::test_fd_probe_sees_an_inherited_descriptor_bare",
}


def feature_step(feature: str, starts_with: str):
    """The first step of `feature` whose text starts with `starts_with`."""
    for template in get_feature(str(FEATURES), feature).scenarios.values():
        for step in template.steps:
            if step.name.startswith(starts_with):
                return step
    raise LookupError(f"no step starting {starts_with!r} in {feature}")


def table_of(feature: str, starts_with: str) -> list[str]:
    return column(feature_step(feature, starts_with).datatable.raw())


def listed_after(feature: str, prefix: str) -> list[str]:
    return names_in(feature_step(feature, prefix).name.removeprefix(prefix))


def only_environment(monkeypatch, **variables: str) -> None:
    """The bare probe's environment: PATH, HOME and LANG, plus `variables`."""
    for name in list(os.environ):
        if name not in {"PATH", "HOME", "LANG"}:
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


# -- one control per probe: (parameters, a check of what the bare verdict saw) ---------------------------

def _ids(tmp_path, stack, monkeypatch):
    return {}, lambda v: v["detail"]["root"]


def _setuid(tmp_path, stack, monkeypatch):
    return {}, lambda v: v["detail"]["outcomes"]["setuid(0)"] == "ok"


def _raw_sockets(tmp_path, stack, monkeypatch):
    return {}, lambda v: "opened" in v["detail"].values()


def _host_process(tmp_path, stack, monkeypatch):
    pid, marker = stack.enter_context(host_exposure.marker_process())
    return {"marker": marker}, lambda v: pid in v["detail"]["marker_pids"]


def _kernel_files(tmp_path, stack, monkeypatch):
    paths = table_of("privileges.feature", "an evaluation tries to open these for writing")
    return {"paths": paths}, lambda v: any(p.startswith("/sys/fs/cgroup/") for p in v["detail"]["writable"])


def _devices(tmp_path, stack, monkeypatch):
    allowed = listed_after("privileges.feature", "an evaluation tries to open every device in /dev beyond ")
    return {"allowed": allowed}, lambda v: v["detail"]["beyond_allowed"]


def _device_chmod(tmp_path, stack, monkeypatch):
    return {}, lambda v: "/dev/null" in v["detail"]["changeable"]


def _environment(tmp_path, stack, monkeypatch):
    """Both ways of betraying the platform: a configuration-like name, and an innocent name
    whose value holds one of the platform's addresses (the needle)."""
    only_environment(monkeypatch, EVALPLATFORM_DATABASE_URL="postgresql://u@db:1/x",
                     INNOCENT_LOOKING="http://127.0.0.1:65000/api")
    wanted = {"EVALPLATFORM_DATABASE_URL", "INNOCENT_LOOKING"}
    return ({"needles": '["127.0.0.1:65000"]'},
            lambda v: wanted <= set(v["detail"]["leaks"].get("self", [])))


def _well_known_paths(tmp_path, stack, monkeypatch):
    paths = table_of("secrets.feature", "an evaluation looks for these paths")
    return {"paths": paths}, lambda v: "/etc/shadow" in v["detail"]["visible"]


def _platform_files(tmp_path, stack, monkeypatch):
    """The files a stack whose directory is tmp_path would expose, as the @host step lists them."""
    for sub in ("pgdata", "redis", "logs"):
        (tmp_path / sub).mkdir()
    paths = host_exposure.platform_files(SimpleNamespace(dir=tmp_path))
    return {"paths": paths}, lambda v: set(v["detail"]["visible"]) == set(paths)


def _datagram_socket(stack: ExitStack) -> str:
    """A datagram socket in /tmp (like journald's), closed and removed afterwards."""
    path = f"/tmp/{host_exposure.unique_name('datagram')}.sock"
    sock = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
    sock.bind(path)
    stack.callback(os.unlink, path)
    return path


def _sockets(tmp_path, stack, monkeypatch):
    """Sockets the probe must find by looking (/tmp, stream and datagram), one it is told
    of, and one in the abstract namespace."""
    found = stack.enter_context(host_exposure.unix_listener(f"/tmp/{host_exposure.unique_name('socket')}.sock"))
    datagram = _datagram_socket(stack)
    told = stack.enter_context(host_exposure.unix_listener(str(tmp_path / "told.sock")))
    abstract = stack.enter_context(host_exposure.unix_listener("\0" + host_exposure.unique_name("abstract")))
    wanted = {found, datagram, told, "@" + abstract[1:]}
    return ({"paths": [told], "abstract": [abstract[1:]]},
            lambda v: found in v["detail"]["visible"] and wanted <= set(v["detail"]["connected"]))


def _k8s_token(tmp_path, stack, monkeypatch):
    token = tmp_path / "var/run/secrets/kubernetes.io/serviceaccount/token"
    token.parent.mkdir(parents=True)
    token.write_text("not-a-real-token")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    return ({"root": str(tmp_path)},
            lambda v: v["detail"]["tokens"] == [str(token)] and v["detail"]["api_vars"] == ["KUBERNETES_SERVICE_HOST"])


def _persistence(tmp_path, stack, monkeypatch):
    """Two bare runs in the same directories: the second finds what the first left."""
    # The feature's directories, each re-rooted under tmp_path: the control never writes in the host's own.
    directories = [str(tmp_path / name.lstrip("/")) for name in table_of("persistence.feature",
                                                                         "an evaluation leaves a file")]
    for directory in directories:
        os.makedirs(directory, exist_ok=True)
    params = {"directories": directories, "marker": host_exposure.unique_name("left")}
    first = run_bare("persist_marker", tmp_path, leave="True", **params)
    assert first["blocked"] and set(first["detail"]["planted"].values()) == {"left"}, first
    return ({**params, "leave": "False"},
            lambda v: len(v["detail"]["found"]) == len(set(directories)) == len(v["detail"]["removed"]))


def _fill(tmp_path, stack, monkeypatch):
    max_mb = 2 * get_settings().scratch_mb
    return ({"max_mb": max_mb, "hold_s": FILL_HOLD_S},
            lambda v: v["detail"] == {"written_mb": max_mb, "stopped": "wrote everything"})


def _memory_steps(tmp_path, stack, monkeypatch):
    """Bare, a request's memory is nobody's limit: the probe holds all it allocates."""
    max_mb = 2 * get_settings().default_memory_mb
    return {"max_mb": max_mb, "step_mb": 4}, lambda v: v["detail"]["held_mb"] == max_mb


def _ipc_left_for_the_next(tmp_path, stack, monkeypatch):
    """Two bare runs in the host's IPC namespace: the second finds what the first left
    (and removes it)."""
    marker = host_exposure.unique_name("ipc")
    left = run_bare("ipc_objects", tmp_path, marker=marker, mode="leave", remove="True")
    assert set(left["detail"]["seen"].values()) == {"left"}, left
    return ({"marker": marker, "mode": "look", "remove": "True"},
            lambda v: v["detail"]["found"] == ["msg", "sem", "shm"])


def _ipc_of_the_host(tmp_path, stack, monkeypatch):
    marker = stack.enter_context(host_ipc.sysv_objects())
    return ({"marker": marker, "mode": "look", "remove": "False"},
            lambda v: v["detail"]["found"] == ["msg", "sem", "shm"])


def _clone_flags(tmp_path, stack, monkeypatch):
    """Bare, nothing filters clone(): every call reaches the kernel, which refuses the
    deliberately invalid flags with EINVAL."""
    return {}, lambda v: set(v["detail"].values()) == {"EINVAL"}


def _io_uring(tmp_path, stack, monkeypatch):
    if Path("/proc/sys/kernel/io_uring_disabled").read_text().strip() == "2":
        pytest.skip("io_uring is disabled on this host (kernel.io_uring_disabled=2): no breach to see")
    return {}, lambda v: v["detail"]["io_uring_setup"] == "ok"


def _host_facts(tmp_path, stack, monkeypatch):
    """The feature's paths, read bare as root: the host's kernel symbols and devices show."""
    step = feature_step("privileges.feature", "an evaluation reads /proc/self/status")
    needed = names_in(step.name.removeprefix("an evaluation reads ").partition(", which the interpreter")[0])
    hidden = column(step.datatable.raw())
    return ({"hidden": hidden, "visible": needed},
            lambda v: {"/proc/kallsyms", "/sys/kernel"} <= set(v["detail"]["readable"])
            and v["detail"]["visible_missing"] == [])


def _vsock(tmp_path, stack, monkeypatch):
    if not Path("/dev/vsock").exists():
        pytest.skip("this host has no vsock (/dev/vsock): no breach to see")
    return {}, lambda v: v["detail"]["stream"] == "created"


CONTROLS = {
    "seccomp_io_uring": _io_uring,
    "net_vsock": _vsock,
    "proc_host_facts": _host_facts,
    "priv_not_root": _ids,
    "priv_setuid_root": _setuid,
    "net_raw_sockets": _raw_sockets,
    "proc_host_process": _host_process,
    "kernel_files_writable": _kernel_files,
    "dev_openable": _devices,
    "dev_chmod": _device_chmod,
    "env_platform_leak": _environment,
    "fs_paths_visible": _well_known_paths,
    "fs_paths_visible (the platform's own files)": _platform_files,
    "unix_sockets": _sockets,
    "k8s_token": _k8s_token,
    "persist_marker": _persistence,
    "fs_fill_hold": _fill,
    "mem_steps": _memory_steps,
    "ipc_objects (left for the next evaluation)": _ipc_left_for_the_next,
    "ipc_objects (the host's own)": _ipc_of_the_host,
    "seccomp_clone_flags": _clone_flags,
}


def probe_of(control: str) -> str:
    return control.split(" ", 1)[0]


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_probe_reports_the_breach_bare(control, tmp_path, monkeypatch):
    with ExitStack() as stack:
        params, saw_it = CONTROLS[control](tmp_path, stack, monkeypatch)
        verdict = run_bare(probe_of(control), tmp_path, **params)
        assert verdict["blocked"] is False, f"bare on the host the probe still says blocked: {verdict}"
        assert saw_it(verdict), f"the probe did not see the breach planted for it: {verdict}"


def probes_used_by_escape_steps() -> set[str]:
    source = "".join(path.read_text() for path in STEP_MODULES)
    return set(re.findall(r'context\.probe\(sandbox, "(\w+)"', source)) | \
        set(re.findall(r'probes\.load\("(\w+)"', source))


def test_every_probe_of_the_escape_features_has_a_control():
    used = probes_used_by_escape_steps()
    assert len(used) >= 15, f"found too few probes in {[p.name for p in STEP_MODULES]}: {sorted(used)}"
    controlled = ({probe_of(c) for c in CONTROLS} | CONTROLLED_IN_SANDBOX_TESTS.keys()
                  | CONTROLLED_IN_ESCAPE_TESTS.keys())
    assert not used - controlled, f"probes without a negative control: {sorted(used - controlled)}"


@pytest.mark.parametrize("probe", sorted(CONTROLLED_IN_SANDBOX_TESTS))
def test_controls_in_tests_sandbox_exist(probe):
    module, test = CONTROLLED_IN_SANDBOX_TESTS[probe].split("::")
    source = (SANDBOX_TESTS / module).read_text()
    assert f"def {test}(" in source and "run_bare" in source, f"{probe}: no control {module}::{test}"



@pytest.mark.parametrize("probe", sorted(CONTROLLED_IN_ESCAPE_TESTS))
def test_controls_in_tests_escape_exist(probe):
    module, test = CONTROLLED_IN_ESCAPE_TESTS[probe].split("::")
    source = (Path(__file__).parent / module).read_text()
    assert f"def {test}(" in source, f"{probe}: no control {module}::{test}"

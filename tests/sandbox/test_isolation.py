"""Each isolation claim: the probe is blocked inside every engine, and the same probe run
bare on the host (negative control) sees the breach."""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from contextlib import contextmanager

import pytest

from evalplatform.sandbox.environments import get_environment
from evalplatform.sandbox.runner import SYSTEM_PATHS
from support import probes
from tests.sandbox.conftest import (ALL_ENGINES, FAST, RUN_PREFIX, assert_blocked_with_control,
                                    run_bare, run_code, run_probe)

pytestmark = pytest.mark.sandbox

PROJECT_DIR = str(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
REQUIRED_DENIED = ["mount", "umount2", "unshare", "setns", "ptrace", "keyctl", "add_key",
                   "request_key", "bpf", "perf_event_open", "kexec_load", "init_module",
                   "finit_module", "reboot", "swapon", "pivot_root"]


@contextmanager
def _serving(sock: socket.socket, handle_one):
    """Serve `sock` on a thread (handle_one per request) while the test runs; yield its port."""
    sock.settimeout(0.2)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                handle_one(sock)
            except OSError:
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


@pytest.fixture
def tcp_listener():
    """A listener on the host's 127.0.0.1 that accepts whatever connects (the target)."""
    with _serving(socket.create_server(("127.0.0.1", 0)),
                  lambda sock: sock.accept()[0].close()) as port:
        yield port


def _echo_datagram(sock: socket.socket) -> None:
    query, peer = sock.recvfrom(512)
    sock.sendto(query, peer)


@pytest.fixture
def dns_responder():
    """A UDP 'resolver' on the host's 127.0.0.1 that echoes each query back as its answer."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    with _serving(udp, _echo_datagram) as port:
        yield port


# Claims whose probe needs nothing from the test: (probe, parameters), with their markers.
SIMPLE_CLAIMS = [
    pytest.param("net_interfaces", {}, marks=pytest.mark.network, id="only-lo"),
    pytest.param("identity_uid", {}, marks=pytest.mark.privileges, id="uid-65534"),
    *(pytest.param("proc_status_privileges", {"field": field}, marks=pytest.mark.privileges,
                   id=field) for field in ("CapEff", "NoNewPrivs", "Seccomp")),
    pytest.param("pid_namespace", {}, marks=pytest.mark.isolation, id="pid-namespace"),
    pytest.param("uts_hostname", {"host_hostname": socket.gethostname()},
                 marks=pytest.mark.isolation, id="hostname"),
]


@pytest.mark.parametrize("probe, params", SIMPLE_CLAIMS)
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_claim_blocked_and_control_detects(sandbox, probe, params, tmp_path):
    assert_blocked_with_control(sandbox, probe, tmp_path, **params)


@pytest.mark.network
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_host_loopback_listener_is_unreachable(sandbox, tcp_listener, tmp_path):
    assert_blocked_with_control(sandbox, "net_loopback_connect", tmp_path, port=tcp_listener)


@pytest.mark.network
@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_dns_query_to_host_resolver_gets_no_answer(sandbox, dns_responder, tmp_path):
    # Only meaningful where the sandbox has nothing but its own lo.
    assert run_probe(sandbox, "net_interfaces")["detail"] == ["lo"]
    assert_blocked_with_control(sandbox, "net_dns_query", tmp_path, port=dns_responder)


@pytest.mark.filesystem
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_root_is_read_only(sandbox, tmp_path):
    prefix = get_environment("python").ro_binds[0]
    inside = ["/", "/usr", prefix, "/eval"]
    verdict = run_probe(sandbox, "fs_root_writable", paths=inside)
    assert verdict["blocked"], verdict
    # Control: the same probe can write where the host lets it (its own directory, /).
    assert not run_bare("fs_root_writable", tmp_path, paths=[str(tmp_path), "/"])["blocked"]


@pytest.mark.filesystem
@pytest.mark.secrets
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_host_secrets_and_sockets_are_invisible(sandbox, tmp_path):
    sock_path = f"/tmp/evalplatform-probe-{uuid.uuid4().hex[:8]}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(sock_path)
    try:
        paths = ["/etc/shadow", "/home", PROJECT_DIR, "/run/postgresql", "/var/run/postgresql",
                 "/var/run/redis", "/run/redis", sock_path]
        prefix = get_environment("python").ro_binds[0]
        root_allowed = prefix.split("/")[2] if prefix.startswith("/root/") else None
        verdict = run_probe(sandbox, "fs_secrets_visible", paths=paths,
                            root_allowed=repr(root_allowed))
        assert verdict["blocked"], verdict
        control = run_bare("fs_secrets_visible", tmp_path, paths=paths,
                           root_allowed=repr(root_allowed))
        assert not control["blocked"] and sock_path in control["detail"], control
    finally:
        unix.close()
        os.unlink(sock_path)


@pytest.mark.filesystem
@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_root_holds_only_the_interpreter_needs(sandbox):
    result = run_code(sandbox, "import os; print(sorted(os.listdir('/')))")
    allowed = {p.lstrip("/") for p in SYSTEM_PATHS} | {"root", "opt", "eval", "scratch",
                                                       "tmp", "proc", "dev"}
    assert set(eval(result.stdout)) <= allowed, result.stdout


@pytest.mark.secrets
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_environment_is_emptied(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALPLATFORM_PROBE_SECRET", "s3cret")
    verdict = run_probe(sandbox, "env_clean")
    assert verdict["blocked"], verdict
    assert verdict["detail"]["EVAL_ID"].startswith(RUN_PREFIX)
    assert not run_bare("env_clean", tmp_path)["blocked"]


@pytest.mark.secrets
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_launcher_environment_not_in_any_proc_environ(sandbox, tmp_path, monkeypatch):
    marker = f"evalplatform-marker-{uuid.uuid4().hex}"
    monkeypatch.setenv("EVALPLATFORM_PROBE_MARKER", marker)
    verdict = run_probe(sandbox, "proc_environ_leak", marker=marker)
    assert verdict["blocked"], verdict
    pid1 = verdict["detail"]["pid1_vars"]
    assert pid1 == "unreadable" or set(pid1) <= {"PATH", "HOME", "LANG", "EVAL_ID"}, pid1
    assert not run_bare("proc_environ_leak", tmp_path, marker=marker)["blocked"]


@pytest.mark.privileges
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_seccomp_denies_each_required_syscall(sandbox, tmp_path):
    verdict = run_probe(sandbox, "seccomp_denied", syscalls=REQUIRED_DENIED)
    assert verdict["detail"] == {name: "EPERM" for name in REQUIRED_DENIED}, verdict
    control = run_bare("seccomp_denied", tmp_path, syscalls=REQUIRED_DENIED)["detail"]
    assert all(outcome != "EPERM" for outcome in control.values()), control


@pytest.mark.privileges
@pytest.mark.parametrize("probe", ["seccomp_x32_alias", "seccomp_i386_unshare"])
@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_seccomp_covers_the_other_syscall_abis(sandbox, probe, tmp_path):
    """x32 aliases and i386 (int 0x80) calls are refused by the filter — killed by SIGSYS
    (libseccomp, kafel) or EPERM (nsjail's x32 aliases) — not waved through by numbers."""
    result = run_code(sandbox, probes.load(probe))
    refused = result.signal == signal.SIGSYS or (
        result.ok and probes.verdict(result.stdout)["blocked"])
    assert refused, result
    assert not run_bare(probe, tmp_path)["blocked"]

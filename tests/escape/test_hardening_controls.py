"""Negative controls of the hardening probes with the platform's own parameters
(tests/sandbox/test_hardening.py; test_controls.py runs them with the feature's): run
bare on this host, each sees the breach the sandbox must prevent."""

from __future__ import annotations

import os
import subprocess

import pytest

from evalplatform.sandbox import hostview
from evalplatform.sandbox.environments import get_environment
from support import probes
from tests.sandbox.conftest import run_bare

pytestmark = [pytest.mark.isolation, pytest.mark.privileges]


def test_io_uring_probe_makes_a_ring_bare(tmp_path):
    if open("/proc/sys/kernel/io_uring_disabled").read().strip() == "2":
        pytest.skip("io_uring is disabled on this host (kernel.io_uring_disabled=2): no breach to see")
    verdict = run_bare("seccomp_io_uring", tmp_path)
    assert verdict["blocked"] is False and verdict["detail"]["io_uring_setup"] == "ok", verdict


def test_fd_probe_sees_an_inherited_descriptor_bare(tmp_path):
    """The launcher's leak, planted: a descriptor passed on to the probe's process."""
    source = tmp_path / "fd_inherited.py"
    source.write_text(probes.load("fd_inherited"))
    env = get_environment("python")
    planted = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        done = subprocess.run([env.interpreter, *env.flags, str(source)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, pass_fds=(planted,))
    finally:
        os.close(planted)
    verdict = probes.verdict(done.stdout)
    assert verdict["blocked"] is False, verdict
    assert verdict["detail"]["beyond_stdio"] == {str(planted): str(tmp_path)}, verdict



def test_host_facts_probe_reads_the_hosts_kernel_bare(tmp_path):
    verdict = run_bare("proc_host_facts", tmp_path, hidden=list(hostview.HIDDEN),
                       visible=list(hostview.VISIBLE))
    assert verdict["blocked"] is False, verdict
    assert {"/proc/kallsyms", "/proc/cmdline", "/sys/kernel"} <= set(verdict["detail"]["readable"]), verdict
    assert verdict["detail"]["visible_missing"] == [], verdict

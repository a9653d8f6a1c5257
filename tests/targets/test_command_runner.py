"""The command: runner against real processes and real sandboxes: placeholders, outcomes,
the harness's timeout, the canaries, and the strong commands' isolation next to the same
probes run bare (their negative control)."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from support import probes
from support.targets.command import PLACEHOLDERS, CommandRunner
from tests.targets.helpers import SMALL_NET, code, strong_commands

pytestmark = pytest.mark.usefixtures("leaves_nothing")
MIB = 1024 * 1024
STRONG = strong_commands()


def test_the_placeholders_are_filled_from_the_requested_limits():
    runner = CommandRunner("env SUITE_T={timeout} SUITE_M={memory_mb} SUITE_B={memory_bytes} SUITE_S={scratch}",
                           limits=SMALL_NET)
    seen = json.loads(runner.run(code("show_launch"), timeout=7, memory_limit="64Mi")["output"])
    assert (seen["timeout"], seen["memory_mb"], seen["memory_bytes"]) == ("7", "64", str(64 * MIB))
    assert seen["scratch"] == seen["cwd"], "the scratch is the command's cwd"


def test_the_defaults_fill_them_when_nothing_is_requested():
    runner = CommandRunner("env SUITE_T={timeout} SUITE_M={memory_mb}", limits=SMALL_NET)
    seen = json.loads(runner.run(code("show_launch"))["output"])
    assert (seen["timeout"], seen["memory_mb"]) == ("30", "256")


def test_with_the_file_placeholder_the_probe_is_a_file_and_nothing_is_appended():
    seen = json.loads(CommandRunner("python3 {file}", limits=SMALL_NET).run(code("show_launch"))["output"])
    assert seen["file"] == f"{seen['cwd']}/probe.py"


@pytest.mark.parametrize("prefix, complaint", [("", "needs a command prefix"),
                                               ("bwrap --size {disk} --", "unknown placeholders ['disk']")])
def test_a_bad_prefix_is_refused_naming_what_is_wrong(prefix, complaint):
    with pytest.raises(ValueError, match=complaint.replace("[", r"\[").replace("]", r"\]")) as info:
        CommandRunner(prefix)
    if "unknown" in complaint:
        assert all(f"{{{p}}}" in str(info.value) for p in PLACEHOLDERS)


def test_outcomes_are_told_apart():
    runner = CommandRunner("env --", limits=SMALL_NET)
    exited = runner.run(code("exit_3"))
    assert (exited["status"], exited["reason"], exited["exit_code"]) == ("failed", "nonzero_exit", 3)
    killed = runner.run(code("kill_self"))
    assert (killed["reason"], killed["signal"]) == ("killed", 9)
    missing = CommandRunner("/nonexistent/sandbox --", limits=SMALL_NET).run(code("exit_3"))
    assert missing["reason"] == "sandbox_error" and "/nonexistent/sandbox" in missing["error"]


def test_the_harness_ends_a_run_at_its_timeout():
    record = CommandRunner("env --", limits=SMALL_NET).run(probes.load("load_slow", seconds=30), timeout=1)
    assert record["reason"] == "timeout" and record["contained_by_suite"] is None, record
    assert record["runtime_ms"] < 10_000


def test_a_memory_limit_the_command_applies_itself_is_reason_memory_not_the_nets():
    runner = CommandRunner("prlimit --as={memory_bytes} --", limits=SMALL_NET)
    record = runner.run(probes.load("mem_allocate", mb=128), memory_limit="64Mi")
    assert record["reason"] == "memory" and record["contained_by_suite"] is None, record


def leak_verdict(runner: CommandRunner) -> dict:
    needles = json.dumps(runner.secret_needles())
    return probes.verdict(runner.run(probes.load("env_platform_leak", needles=needles))["output"])


def test_bare_the_canaries_reach_the_code():
    """The negative control of every secrets check on a sandbox target."""
    verdict = leak_verdict(CommandRunner("env --", limits=SMALL_NET))
    assert verdict["blocked"] is False and "SUITE_CANARY_TOKEN" in verdict["detail"]["leaks"]["self"]


# Probes each strong command must block and a bare run (as root, on the host) does not, with
# their parameters: the network, the uid, the seccomp filter's io_uring, clone()-flag and
# vsock rules, and the host's /proc and /sys (what the interpreter needs stays readable).
CONTROLLED_PROBES = {
    "net_interfaces": {}, "priv_not_root": {}, "seccomp_io_uring": {}, "seccomp_clone_flags": {}, "net_vsock": {},
    "proc_host_facts": {"hidden": ["/proc/kallsyms", "/proc/iomem", "/proc/interrupts", "/proc/bus",
                                   "/proc/sys/kernel/random/boot_id", "/sys/kernel", "/sys/class"],
                        "visible": ["/proc/self/status", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat"]},
}


@pytest.mark.parametrize("name", sorted(STRONG))
def test_a_strong_command_isolates_where_bare_does_not(name):
    strong, bare = CommandRunner(STRONG[name]), CommandRunner("env --", limits=SMALL_NET)
    for probe, params in CONTROLLED_PROBES.items():
        control = probes.verdict(bare.run(probes.load(probe, **params))["output"])
        assert control["blocked"] is False, f"control {probe}: {control}"
        verdict = probes.verdict(strong.run(probes.load(probe, **params))["output"])
        assert verdict["blocked"] is True, f"{name}: {probe}: {verdict}"
        if probe == "proc_host_facts":
            assert not verdict["detail"]["visible_missing"], f"{name} hid what the interpreter needs: {verdict}"
    assert leak_verdict(strong)["blocked"] is True


@pytest.mark.parametrize("name", sorted(STRONG))
def test_a_strong_command_applies_the_requested_memory_limit_and_timeout(name):
    runner = CommandRunner(STRONG[name])
    hog = runner.run(probes.load("mem_allocate", mb=256), memory_limit="64Mi", timeout=20)
    assert hog["reason"] == "memory" and hog["contained_by_suite"] is None, hog
    slow = runner.run(probes.load("load_slow", seconds=30), timeout=2)
    assert slow["reason"] == "timeout", slow


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_the_runsc_command_leaves_a_device_it_is_given_as_stdio_unowned(tmp_path):
    """runsc chowns its stdio to the container's user; handed the host's /dev/null it made it
    uid 65534's. A null device node of the test's own, as stdin, stdout and stderr, stays
    root's, and the output still arrives through a pipe."""
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(node, 0o666)        # mknod's mode is under the umask; the sandbox user writes to it
    wrapper = STRONG["runsc"].split()[:2]
    with open(node, "r+b") as device:
        done = subprocess.run([*wrapper, str(256 * MIB), "--", "python3", "-c", "print(1)"],
                              stdin=device, stdout=device, stderr=device, cwd=tmp_path, timeout=60)
    assert done.returncode == 0
    assert os.stat(node).st_uid == 0, "runsc chowned the device node it was given"
    piped = subprocess.run([*wrapper, str(256 * MIB), "--", "python3", "-c", "print(1)"],
                           stdin=open(node, "rb"), capture_output=True, cwd=tmp_path, timeout=60)
    assert piped.stdout == b"1\n" and os.stat(node).st_uid == 0, piped


# -- the status protocol: {output_bytes} and {status} ----------------------------------------

SAYS_IT_CAPPED = ("sh -c 'echo \"{\\\"reason\\\": \\\"output_limit\\\", \\\"error_truncated\\\": true}\" > \"$0\"; "
                  "exec \"$@\"' {status}")


def test_a_command_that_says_it_cut_a_stream_ends_with_output_limit_and_the_flag():
    said = CommandRunner(SAYS_IT_CAPPED, limits=SMALL_NET).run(code("say_hello"))
    assert (said["reason"], said["status"], said["error_truncated"], said["contained_by_suite"]) == \
        ("output_limit", "failed", True, None), said
    # The control: the same run through a command that says nothing completes.
    plain = CommandRunner("sh -c 'exec \"$@\"' {status}", limits=SMALL_NET).run(code("say_hello"))
    assert (plain["reason"], plain["status"], plain["error_truncated"]) == (None, "completed", False), plain


@pytest.mark.parametrize("status", ['{"reason": "it was fine"}', '["output_limit"]', "not json",
                                    '{"reason": "output_limit", "error_truncated": "yes"}'])
def test_a_status_the_command_wrote_wrong_fails_the_run_closed(status):
    prefix = f"sh -c 'printf %s \"$1\" > \"$0\"; shift; exec \"$@\"' {{status}} {json.dumps(status)}"
    record = CommandRunner(prefix, limits=SMALL_NET).run(code("say_hello"))
    assert record["reason"] == "sandbox_error" and "[suite] the command's status" in record["error"], record


def test_the_suites_own_stop_wins_over_what_the_command_says():
    prefix = SAYS_IT_CAPPED.replace("exec", "exec env")
    record = CommandRunner(prefix, limits=SMALL_NET).run(probes.load("load_slow", seconds=30), timeout=1)
    assert record["reason"] == "timeout", record


def test_a_command_that_takes_output_bytes_declares_that_limit_and_gets_half_the_nets_cap():
    runner = CommandRunner("env SUITE_OUT={output_bytes}", limits=SMALL_NET)
    assert runner.declared_limits == {"output_limit_bytes": SMALL_NET.output_bytes // 2}
    seen = json.loads(runner.run(code("show_launch"))["output"])
    assert seen["output_bytes"] == str(SMALL_NET.output_bytes // 2), seen
    assert CommandRunner("env --", limits=SMALL_NET).declared_limits == {}


@pytest.mark.parametrize("name", sorted(STRONG))
def test_a_wrapper_cuts_a_stderr_flood_at_its_limit_and_says_so_where_a_plain_prefix_cannot(name):
    runner = CommandRunner(STRONG[name])
    record = runner.run(code("flood_stderr"), timeout=20)
    assert record["reason"] == "output_limit" and record["error_truncated"] is True, record
    if name == "nsjail":            # a plain prefix: only the suite's net ends the flood
        assert record["contained_by_suite"] and len(record["error"]) == runner.limits.output_bytes, record
    else:
        assert record["contained_by_suite"] is None and len(record["error"].encode()) == runner.output_limit, \
            {k: v for k, v in record.items() if k != "error"}


def test_a_declared_output_limit_below_the_nets_cap_is_the_one_the_command_is_handed():
    cap = SMALL_NET.output_bytes
    assert CommandRunner("env SUITE_OUT={output_bytes}", limits=SMALL_NET, output_limit=1000).output_limit == 1000
    for unusable in (None, 0, cap, 2 * cap, "1000"):    # at or past the cap the suite's would act first
        assert CommandRunner("env --", limits=SMALL_NET, output_limit=unusable).output_limit == cap // 2

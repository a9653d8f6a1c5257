"""Binds features/privileges.feature: one feature, one test module (`pytest features/test_privileges.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import host_exposure
from support.probes import assert_blocked
from support.tables import column, names_in

scenarios("privileges.feature")


# -- steps only this feature uses --

@when("an evaluation looks at its user and group ids")
def look_at_ids(context, sandbox):
    context.probe(sandbox, "priv_not_root")


@then("none of them is 0")
def none_is_root(context):
    assert_blocked(context.verdict, "not root")


@when(parsers.parse("an evaluation reads {field} of its own process"))
def read_status_field(context, sandbox, field):
    context.status_field = field
    context.probe(sandbox, "proc_status_privileges", field=field)


@then(parsers.parse("it reads {value:d}"))
def reads_value(context, value):
    shown = context.verdict["detail"]
    assert int(shown, 16 if context.status_field == "CapEff" else 10) == value, \
        f"{context.status_field} reads {shown!r}, not {value}"


@when(parsers.parse("an evaluation calls {syscalls}"))
def call_syscalls(context, sandbox, syscalls):
    context.probe(sandbox, "seccomp_denied", syscalls=names_in(syscalls))


@when("an evaluation asks clone() and clone3() for a new mount, cgroup, UTS, IPC, user, PID and network namespace")
def clone_namespaces(context, sandbox):
    context.probe(sandbox, "seccomp_clone_flags")


@then("each of them is denied")
def each_denied(context):
    outcomes = context.verdict["detail"]
    allowed = {name: outcome for name, outcome in outcomes.items()
               if outcome != "EPERM" and not (name.startswith("clone3") and outcome == "ENOSYS")}
    assert not allowed, f"not denied (EPERM expected; ENOSYS for clone3, whose flags a filter cannot read): {allowed}"


# io_uring_setup answers EPERM where the seccomp filter denies it, ENOSYS where the kernel
# (gVisor's Sentry, by default) does not implement it: both refuse.
IO_URING_REFUSALS = {"EPERM", "ENOSYS"}


@when("an evaluation tries to set up an io_uring, and to enter and register one")
def try_io_uring(context, sandbox):
    context.probe(sandbox, "seccomp_io_uring")


@then("each call is refused, as denied or as not implemented")
def io_uring_refused(context):
    outcomes = context.verdict["detail"]
    answered = {name: outcome for name, outcome in outcomes.items() if outcome not in IO_URING_REFUSALS}
    assert not answered, f"not refused (EPERM or ENOSYS expected): {answered}"


@when("an evaluation tries to make vsock sockets")
def make_vsock(context, sandbox):
    context.probe(sandbox, "net_vsock")


@when(parsers.parse("an evaluation reads {needed}, which the interpreter needs, and these, "
                    "which describe the host:"))
def read_host_facts(context, sandbox, needed, datatable):
    context.probe(sandbox, "proc_host_facts", hidden=column(datatable), visible=names_in(needed))


@then("what the interpreter needs was readable")
def interpreter_needs_readable(context):
    missing = context.verdict["detail"]["visible_missing"]
    assert not missing, f"hidden from the code although the interpreter needs them: {missing}"


@when("an evaluation lists its open file descriptors")
def list_descriptors(context, sandbox):
    context.probe(sandbox, "fd_inherited")


@then("it holds only stdin, stdout and stderr")
def only_stdio(context):
    assert_blocked(context.verdict, "only stdin, stdout and stderr are open")


@when("an evaluation tries to become root with setuid(0)")
def become_root(context, sandbox):
    context.probe(sandbox, "priv_setuid_root")


@when("an evaluation tries to open raw and packet sockets")
def raw_sockets(context, sandbox):
    context.probe(sandbox, "net_raw_sockets")


@when("an evaluation lists the processes in /proc")
def list_processes(context, sandbox):
    context.probe(sandbox, "pid_namespace")


@then("it sees only its own processes")
def only_own_processes(context):
    assert_blocked(context.verdict, "only its own processes")


@given("a process of mine on the host, which the host can see")
def host_process(context):
    _, context.process_marker = context.cleanup.enter_context(host_exposure.marker_process())


@when("an evaluation looks for that process in /proc")
def look_for_process(context, sandbox):
    context.probe(sandbox, "proc_host_process", marker=context.process_marker)


@when("an evaluation tries to open these for writing:")
def open_for_writing(context, sandbox, datatable):
    context.probe(sandbox, "kernel_files_writable", paths=column(datatable))


@when(parsers.parse("an evaluation tries to open every device in /dev beyond {devices}"))
def open_devices(context, sandbox, devices):
    context.probe(sandbox, "dev_openable", allowed=names_in(devices))


@when("an evaluation tries to change the permissions of every device in /dev, keeping them as they are")
def chmod_devices(context, sandbox):
    context.probe(sandbox, "dev_chmod")

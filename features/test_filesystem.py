"""Binds features/filesystem.feature: one feature, one test module (`pytest features/test_filesystem.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import host

scenarios("filesystem.feature")


# -- steps only this feature uses --

@then("the attempt succeeds")
def attempt_succeeds(context):
    assert context.verdict["blocked"] is False, f"expected to succeed: {context.verdict['detail']}"


@when(parsers.parse('an evaluation tries to create a file in "{path}"'))
def create_file_in(context, sandbox, path):
    context.probe(sandbox, "fs_write", path=path)


@when(parsers.parse('an evaluation tries to read "{path}"'))
def read_path(context, sandbox, path):
    context.probe(sandbox, "fs_read", path=path)


@given("a file of mine in the host's home directory")
def home_marker(context):
    context.host_path = context.cleanup.enter_context(host.marker_file(host.home()))


@given("a file of the project's on the host")
def project_file(context):
    context.host_path = host.project_file()
    assert context.host_path.exists()


@when("an evaluation looks for that file")
def look_for_file(context, sandbox):
    assert context.host_path.exists(), f"the host itself does not see {context.host_path}"
    context.probe(sandbox, "fs_exists", path=context.host_path)


@given("the sandbox engine the platform reports")
def reported_engine(context, platform):
    context.reported_engine = platform.engine


@when("an evaluation looks at the kernel it runs on")
def kernel_signs(context, sandbox):
    context.probe(sandbox, "kernel_signs")


@then("the kernel shows the signs of gVisor exactly when the reported engine is gVisor")
def signs_match(context):
    """Reported gVisor: every sign holds inside. Reported nsjail/bwrap: none does."""
    assert context.record["engine"] == context.reported_engine, \
        f"the platform reports {context.reported_engine!r}; the evaluation ran under {context.record['engine']!r}"
    held = context.verdict["signs_held"]
    expected = context.verdict["signs_checked"] if context.reported_engine == "gvisor" else 0
    assert len(held) == expected, (f"the platform reports {context.reported_engine!r}; signs of gVisor held "
                                   f"inside: {held}; seen: {context.verdict['detail']}")

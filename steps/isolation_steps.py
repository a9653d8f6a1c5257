"""Isolation: probes (support/probes) submitted as evaluations, each aimed at something
the suite made itself and first showed to be reachable from the host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when

from support import host, listeners

SERVICE_URLS = {"Redis": "redis_url", "PostgreSQL": "database_url", "API": "api_url"}
DEFAULT_PORTS = {"Redis": 6379, "PostgreSQL": 5432, "API": 80}


def run_probe(context, evaluations, probe_name: str, **params) -> None:
    context.verdict, context.record = evaluations.probe(probe_name, **params)
    context.eval_id = context.remember_submission(context.record["eval_id"])


@then("the attempt is blocked")
def attempt_blocked(context):
    assert context.verdict["blocked"] is True, f"isolation broken: {context.verdict['detail']}"


@then("the attempt succeeds")
def attempt_succeeds(context):
    assert context.verdict["blocked"] is False, f"expected to succeed: {context.verdict['detail']}"


# -- network --------------------------------------------------------------------------------------

@then("it sees no interface but lo")
def only_lo_seen(context):
    assert context.verdict["blocked"] is True, f"more than lo in the sandbox: {context.verdict['detail']}"


@when("an evaluation lists its network interfaces")
def list_interfaces(context, evaluations):
    run_probe(context, evaluations, "net_interfaces")


@given("the evaluation's only network interface is lo")
def only_lo(context, evaluations):
    verdict, _ = evaluations.probe("net_interfaces")
    if not verdict["blocked"]:
        pytest.fail(f"not run: the sandbox has more than lo ({verdict['detail']}); name resolution is "
                    f"probed only where lo is the only interface, so no query can leave the host")


@given("a TCP listener of mine on the host's loopback, which the host can reach")
def tcp_listener(context):
    context.address = context.cleanup.enter_context(listeners.tcp_listener())
    listeners.host_reaches_tcp(*context.address)


@given("an HTTP server of mine on the host's loopback, which the host can reach")
def http_server(context):
    context.url = context.cleanup.enter_context(listeners.http_server())
    parts = urlsplit(context.url)
    listeners.host_reaches_tcp(parts.hostname, parts.port)


@given("a DNS server of mine on the host's loopback, which the host can query")
def dns_server(context):
    context.dns_address = context.cleanup.enter_context(listeners.dns_server())
    listeners.host_resolves(*context.dns_address, "host.check.test")


@given(parsers.parse("the platform's own {service} port, which the host can reach"))
def platform_port(context, target, service):
    parts = urlsplit(getattr(target, SERVICE_URLS[service]))
    if parts.hostname not in listeners.LOOPBACK_NAMES:
        pytest.skip(f"the platform's {service} is at {parts.hostname}, not on this host's loopback; "
                    f"network probes only aim at loopback listeners")
    context.address = (listeners.LOOPBACK, parts.port or DEFAULT_PORTS[service])
    listeners.host_reaches_tcp(*context.address)


@when("an evaluation tries to connect to it")
def connect_to_it(context, evaluations):
    host_name, port = context.address
    run_probe(context, evaluations, "net_tcp_connect", host=host_name, port=port)


@when("an evaluation tries to fetch a page from it")
def fetch_page(context, evaluations):
    run_probe(context, evaluations, "net_http_get", url=context.url)


@when(parsers.parse('an evaluation tries to resolve "{name}" through the system resolver and through it'))
def resolve_name(context, evaluations, name):
    host_name, port = context.dns_address
    run_probe(context, evaluations, "net_dns", query_name=name, host=host_name, port=port)


# -- filesystem -----------------------------------------------------------------------------------

@when(parsers.parse('an evaluation tries to create a file in "{path}"'))
def create_file_in(context, evaluations, path):
    run_probe(context, evaluations, "fs_write", path=path)


@when(parsers.parse('an evaluation tries to read "{path}"'))
def read_path(context, evaluations, path):
    run_probe(context, evaluations, "fs_read", path=path)


@given("a file of mine in the host's home directory")
def home_marker(context):
    context.host_path = context.cleanup.enter_context(host.marker_file(host.home()))


@given("a file of the project's on the host")
def project_file(context):
    context.host_path = host.project_file()
    assert context.host_path.exists()


@when("an evaluation looks for that file")
def look_for_file(context, evaluations):
    assert context.host_path.exists(), f"the host itself does not see {context.host_path}"
    run_probe(context, evaluations, "fs_exists", path=context.host_path)


# -- which engine runs the code -------------------------------------------------------------------

@given("the sandbox engine the platform reports")
def reported_engine(context, platform):
    context.reported_engine = platform.engine


@when("an evaluation looks at the kernel it runs on")
def kernel_signs(context, evaluations):
    run_probe(context, evaluations, "kernel_signs")


@then("the kernel shows the signs of gVisor exactly when the reported engine is gVisor")
def signs_match(context):
    """Reported gVisor: every sign holds inside. Reported nsjail/bwrap: none does."""
    assert context.record["engine"] == context.reported_engine, \
        f"the platform reports {context.reported_engine!r}; the evaluation ran under {context.record['engine']!r}"
    held = context.verdict["signs_held"]
    expected = context.verdict["signs_checked"] if context.reported_engine == "gvisor" else 0
    assert len(held) == expected, (f"the platform reports {context.reported_engine!r}; signs of gVisor held "
                                   f"inside: {held}; seen: {context.verdict['detail']}")


@then("the engine is gVisor wherever gVisor is required")
def gvisor_when_required(context, target):
    if target.require_gvisor:
        assert context.reported_engine == "gvisor", \
            f"REQUIRE_GVISOR=true, but the platform runs code under {context.reported_engine!r}"

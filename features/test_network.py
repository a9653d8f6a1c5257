"""Binds features/network.feature: one feature, one test module (`pytest features/test_network.py`)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from support import listeners

scenarios("network.feature")

SERVICE_URLS = {"Redis": "redis_url", "PostgreSQL": "database_url", "API": "api_url"}
DEFAULT_PORTS = {"Redis": 6379, "PostgreSQL": 5432, "API": 80}


# -- steps only this feature uses --

@then("it sees no interface but lo")
def only_lo_seen(context):
    assert context.verdict["blocked"] is True, f"more than lo in the sandbox: {context.verdict['detail']}"


@when("an evaluation lists its network interfaces")
def list_interfaces(context, sandbox):
    context.probe(sandbox, "net_interfaces")


@given("the evaluation's only network interface is lo")
def only_lo(context, sandbox):
    verdict = context.probe(sandbox, "net_interfaces")
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
def connect_to_it(context, sandbox):
    host_name, port = context.address
    context.probe(sandbox, "net_tcp_connect", host=host_name, port=port)


@when("an evaluation tries to fetch a page from it")
def fetch_page(context, sandbox):
    context.probe(sandbox, "net_http_get", url=context.url)


@when(parsers.parse('an evaluation tries to resolve "{name}" through the system resolver and through it'))
def resolve_name(context, sandbox, name):
    host_name, port = context.dns_address
    context.probe(sandbox, "net_dns", query_name=name, host=host_name, port=port)

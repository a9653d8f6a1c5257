"""Binds features/secrets.feature: one feature, one test module (`pytest features/test_secrets.py`)."""
from __future__ import annotations

import json

from pytest_bdd import given, scenarios, then, when

from support import host_exposure
from support.probes import assert_blocked
from support.session import session_target
from support.tables import column

scenarios("secrets.feature")


# -- steps only this feature uses --

@when("an evaluation searches every environment it can read for the platform's names and addresses")
def search_environments(context, sandbox):
    context.probe(sandbox, "env_platform_leak", needles=json.dumps(sandbox.secret_needles()))


@then("it finds nothing of the platform's")
def nothing_of_the_platform(context):
    assert_blocked(context.verdict, "nothing of the platform's in any environment")


@when("an evaluation looks for these paths:")
def look_for_paths(context, sandbox, datatable):
    context.probe(sandbox, "fs_paths_visible", paths=column(datatable))


@given("the platform's own files on the host, which the host can see")
def platform_files(context, embedded_stack):
    context.host_paths = host_exposure.platform_files(embedded_stack)
    assert context.host_paths, "the host sees none of the platform's files"


@when("an evaluation looks for those files")
def look_for_those(context, sandbox):
    context.probe(sandbox, "fs_paths_visible", paths=context.host_paths)


@given("the host's unix sockets: the platform's own, one of mine on the filesystem and one of mine "
       "in the abstract namespace, each reachable from the host")
def host_sockets(context, request):
    own = context.cleanup.enter_context(host_exposure.unix_listener(
        f"/tmp/{host_exposure.unique_name('socket')}.sock"))
    abstract = context.cleanup.enter_context(host_exposure.unix_listener("\0" + host_exposure.unique_name("abstract")))
    for address in (own, abstract):
        host_exposure.host_reaches_unix(address)
    stack = session_target(request.config).stack    # the embedded platform's own sockets, when it is the target
    context.socket_paths = [own, *(host_exposure.platform_sockets(stack) if stack else [])]   # each reached
    context.abstract_sockets = [abstract[1:]]


@when("an evaluation looks for unix sockets and tries to connect to them")
def look_for_sockets(context, sandbox):
    paths = context.socket_paths if context.has("socket_paths") else []
    abstract = context.abstract_sockets if context.has("abstract_sockets") else []
    context.probe(sandbox, "unix_sockets", paths=paths, abstract=abstract)


@when("an evaluation looks for a Kubernetes service-account token and the API server's address")
def look_for_k8s_token(context, sandbox):
    context.probe(sandbox, "k8s_token", root="")

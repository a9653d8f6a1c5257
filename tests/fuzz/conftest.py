"""A platform of the fuzz tests' own: everything they submit lands in a stack they start
and stop, never in the acceptance suite's session stack."""

from __future__ import annotations

import pytest
import schemathesis

from evalplatform.stack import Stack
from support.api_client import ApiClient
from support.evaluations import Evaluations


@pytest.fixture(scope="session")
def fuzz_stack():
    stack = Stack(workers=1).start(timeout=60)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def fuzz_api(fuzz_stack):
    client = ApiClient(fuzz_stack.urls["API_URL"])
    yield client
    client.close()


@pytest.fixture(scope="session")
def fuzz_evaluations(fuzz_api) -> Evaluations:
    return Evaluations(fuzz_api)


@pytest.fixture(scope="session")
def api_schema(fuzz_stack):
    """The platform's own /openapi.json, as its API serves it.

    NUL bytes are not generated: the document cannot state "no NUL in code" (JSON
    Schema has no way to), so a NUL would count as schema-valid data rejected; the
    explicit tests in test_malformed.py check that NULs are refused naming the field.
    """
    api_root = fuzz_stack.urls["API_URL"].removesuffix("/api")
    schema = schemathesis.openapi.from_url(f"{api_root}/openapi.json")
    schema.config.generation.update(allow_x00=False)
    return schema

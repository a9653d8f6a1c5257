"""Every bad value of every submit field is a 422 naming that field; bodies over 2 MiB are 413.

These run against the real FastAPI application in-process without starting its lifespan:
validation and the body limit answer before the endpoint touches the database, which is
exactly the property under test (bad input never reaches PostgreSQL). Accepted requests
are covered by tests/integration/test_platform.py against the real stack.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from evalplatform import contract
from evalplatform.api.app import create_app
from evalplatform.api.bodylimit import MAX_BODY_BYTES
from evalplatform.api.schemas import MAX_CODE_BYTES, EvaluationRequest


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), raise_server_exceptions=False)


def named_fields(answer) -> set[str]:
    """The field names in a 422's detail locs (the last string part of each loc)."""
    names = set()
    for error in answer.json()["detail"]:
        parts = [p for p in error["loc"] if isinstance(p, str) and p not in ("body", "query", "path")]
        if parts:
            names.add(parts[0])
    return names


BAD_VALUES = [
    ("code", None), ("code", ""), ("code", "   \n\t"), ("code", 42), ("code", ["print(1)"]),
    ("code", "print(1)\x00"), ("code", "x" * (MAX_CODE_BYTES + 1)),
    ("code", "é" * (MAX_CODE_BYTES // 2 + 1)),              # over 1 MiB in UTF-8, not in chars
    ("language", "ruby"), ("language", 3), ("language", "py\x00thon"),
    ("timeout", 0), ("timeout", -1), ("timeout", 301), ("timeout", "30"), ("timeout", 1.5),
    ("timeout", True), ("timeout", 10**30),
    ("priority", contract.PRIORITY_MIN - 1), ("priority", contract.PRIORITY_MAX + 1), ("priority", 10**30),
    ("priority", "high"), ("priority", "150"), ("priority", 2.0), ("priority", 150.5),
    ("priority", False), ("priority", True), ("priority", None), ("priority", [150]),
    ("environment", "no-such-env"), ("environment", 7), ("environment", ""),
    ("executor_image", "no-such-image"),
    ("memory_limit", "lots"), ("memory_limit", "1Pi"), ("memory_limit", "8Mi"),
    ("memory_limit", "64Gi"), ("memory_limit", 256), ("memory_limit", "-5Mi"),
    ("cpu_limit", "0"), ("cpu_limit", "fast"), ("cpu_limit", "-1"), ("cpu_limit", "1000"),
    ("cpu_limit", [1]),
    ("expect_failure", "yes"), ("expect_failure", 1), ("debug", "true"), ("debug", None),
    ("metadata", "a string"), ("metadata", [1, 2]), ("metadata", {"k": "v\x00"}),
    ("metadata", {"big": "x" * 70_000}),
]


@pytest.mark.parametrize("field,value", BAD_VALUES,
                         ids=[f"{f}={str(v)[:20]!r}" for f, v in BAD_VALUES])
def test_bad_value_is_422_naming_the_field(client, field, value):
    body = {"code": "print(1)", field: value}
    answer = client.post("/api/eval", json=body)
    assert answer.status_code == 422, answer.text[:500]
    assert named_fields(answer) == {field}, answer.json()


def test_missing_code_is_422_naming_code(client):
    answer = client.post("/api/eval", json={"language": "python"})
    assert answer.status_code == 422
    assert named_fields(answer) == {"code"}


def test_the_error_does_not_echo_the_input(client):
    code = "x" * (MAX_CODE_BYTES + 1)
    answer = client.post("/api/eval", json={"code": code})
    assert answer.status_code == 422
    assert len(answer.content) < 2000


@pytest.mark.parametrize("raw", [b"{", b"{'code': 1}", b"not json", b"[1, 2",
                                 b'{"code": "print(1)",}'])
def test_malformed_json_is_422(client, raw):
    answer = client.post("/api/eval", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]


@pytest.mark.parametrize("body", [[], ["print(1)"], "print(1)", 5, None])
def test_a_body_that_is_not_an_object_is_422(client, body):
    answer = client.post("/api/eval", content=json.dumps(body),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text


def test_an_empty_body_is_422(client):
    answer = client.post("/api/eval", content=b"", headers={"content-type": "application/json"})
    assert answer.status_code == 422


def test_body_over_2_mib_is_413(client):
    body = json.dumps({"code": "x" * (MAX_BODY_BYTES + 10)}).encode()
    answer = client.post("/api/eval", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["detail"]


def test_a_streamed_body_over_2_mib_is_413_whatever_its_length_header_says(client):
    chunk = b"x" * 65536

    def chunks():   # no Content-Length: sent chunked, so only the bytes received can tell
        yield b'{"code": "'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b'"}'

    answer = client.post("/api/eval", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_a_body_just_under_the_limit_is_not_413(client):
    """Negative control for the two 413 tests: the limit is the limit, not 'anything big'."""
    body = json.dumps({"code": "x" * (MAX_BODY_BYTES - 100)}).encode()
    assert len(body) <= MAX_BODY_BYTES
    answer = client.post("/api/eval", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422          # code over 1 MiB: validation, not the body limit
    assert named_fields(answer) == {"code"}


@pytest.mark.parametrize("path", ["/api/eval/no%00such", "/api/eval/..%2f..%2fetc",
                                  "/api/eval/" + "a" * 300, "/api/eval/%F0%9F%98%80/status",
                                  "/api/eval/x y/logs"])
def test_an_impossible_id_is_404_without_asking_the_database(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query,field", [("status=bogus", "status"), ("limit=0", "limit"),
                                         ("limit=101", "limit"), ("limit=x", "limit"),
                                         ("offset=-1", "offset")])
def test_bad_list_parameters_are_422_naming_them(client, query, field):
    answer = client.get(f"/api/evaluations?{query}")
    assert answer.status_code == 422
    assert named_fields(answer) == {field}


VALID = [
    {"code": "print(1)"},
    {"code": "print('ünïcødé ✓ 😀')", "language": "Python"},
    {"code": "print(1)", "timeout": 1, "priority": 10, "executor_image": "python"},
    {"code": "print(1)", "timeout": 300, "priority": 0, "memory_limit": "1Gi", "cpu_limit": "500m"},
    {"code": "print(1)", "memory_limit": "512M", "cpu_limit": 2, "expect_failure": True,
     "debug": True, "metadata": {"suite": "x", "n": [1, 2, {"deep": None}]}},
    {"code": "print(1)", "unknown_field": "ignored"},
    {"code": "print(1)", "priority": 150}, {"code": "print(1)", "priority": 2000},
    {"code": "print(1)", "priority": -7},
    {"code": "print(1)", "priority": contract.PRIORITY_MIN},
    {"code": "print(1)", "priority": contract.PRIORITY_MAX},
]


@pytest.mark.parametrize("body", VALID, ids=[str(i) for i in range(len(VALID))])
def test_valid_requests_pass_validation(body):
    """Negative control: the model accepts what the contract allows."""
    request = EvaluationRequest.model_validate(body)
    assert request.code == body["code"]
    assert 1 <= request.timeout <= 300


def test_defaults_are_the_contracts():
    request = EvaluationRequest.model_validate({"code": "print(1)"})
    assert (request.timeout, request.priority, request.environment, request.language) == \
           (30, 0, "python", "python")


def test_priority_keeps_its_value_and_the_document_states_the_bounds(client):
    """Every integer of the range is kept as sent, and /openapi.json states the same range."""
    for priority in (contract.PRIORITY_MIN, -7, 0, 150, 2000, contract.PRIORITY_MAX):
        assert EvaluationRequest.model_validate({"code": "x", "priority": priority}).priority == priority
    document = client.get("/openapi.json").json()
    schema = document["components"]["schemas"]["EvaluationRequest"]["properties"]["priority"]
    assert (schema["type"], schema["minimum"], schema["maximum"], schema["default"]) == \
        ("integer", contract.PRIORITY_MIN, contract.PRIORITY_MAX, contract.DEFAULT_PRIORITY)


def test_health_is_served_outside_api_as_under_it(client):
    """GET /health answers as GET /api/health: here degraded (no service is up), so 503
    with the same report; tests/integration/test_queue_order.py sees both 200 on a stack."""
    under_api, outside = client.get("/api/health"), client.get("/health")
    assert under_api.status_code == outside.status_code == 503
    assert outside.json() == under_api.json() and outside.json()["status"] == "degraded"
    document = client.get("/openapi.json").json()
    assert document["paths"]["/health"]["get"]["responses"].keys() == \
        document["paths"]["/api/health"]["get"]["responses"].keys()


def test_executor_image_is_the_environment():
    assert EvaluationRequest.model_validate(
        {"code": "x", "executor_image": "python"}).environment == "python"

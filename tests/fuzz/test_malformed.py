"""Malformed and hostile input, case by case: each is a 4xx whose detail names the field.

The schemathesis run (test_schema.py) explores at random; these are the inputs known to
break services of this kind (a NUL byte reaching PostgreSQL, an integer too large for a
bigint, a body too large to buffer...), each pinned with the answer it must get. A
refused request must also store nothing, and well-formed unicode must still run.
"""

from __future__ import annotations

import json

import pytest

from support.api_client import ApiClient

pytestmark = pytest.mark.integration

OK = "print(1)"
MIB = 1024 * 1024
HUGE = 10 ** 30


def body(**fields) -> dict:
    return {"code": OK, **fields}


def raw(text: str) -> bytes:
    return text.encode()


# (id, JSON body or raw bytes, expected status, the field its detail must name)
BAD_SUBMISSIONS = [
    ("malformed-json", raw('{"code": '), 422, "body"),
    ("trailing-garbage", raw('{"code": "print(1)"} x'), 422, "body"),
    ("empty-body", raw(""), 422, "body"),
    ("array-body", [OK], 422, "body"),
    ("null-body", None, 422, "body"),
    ("string-body", OK, 422, "body"),
    ("invalid-utf8", b'{"code": "print(\xff)"}', 400, "body"),
    ("nesting-too-deep", raw('{"code": "print(1)", "metadata": ' + '{"a": ' * 100000 + "1" + "}" * 100001),
     400, "body"),
    ("missing-code", {}, 422, "code"),
    ("blank-code", {"code": " \n\t"}, 422, "code"),
    ("code-number", {"code": 123}, 422, "code"),
    ("code-null", {"code": None}, 422, "code"),
    ("code-over-1mib", {"code": "#" * (MIB + 1)}, 422, "code"),
    ("code-nul", {"code": "print(1)\x00"}, 422, "code"),
    ("code-lone-surrogate", raw('{"code": "print(1) # \\ud800"}'), 422, "code"),
    ("language-unknown", body(language="cobol"), 422, "language"),
    ("language-number", body(language=3), 422, "language"),
    ("timeout-string", body(timeout="5"), 422, "timeout"),
    ("timeout-bool", body(timeout=True), 422, "timeout"),
    ("timeout-float", body(timeout=1.5), 422, "timeout"),
    ("timeout-zero", body(timeout=0), 422, "timeout"),
    ("timeout-negative", body(timeout=-1), 422, "timeout"),
    ("timeout-over-max", body(timeout=301), 422, "timeout"),
    ("timeout-huge", body(timeout=HUGE), 422, "timeout"),
    ("timeout-huge-negative", body(timeout=-HUGE), 422, "timeout"),
    ("priority-string", body(priority="high"), 422, "priority"),
    ("priority-float", body(priority=1.0), 422, "priority"),
    ("priority-under-min", body(priority=-2**31 - 1), 422, "priority"),
    ("priority-over-max", body(priority=2**31), 422, "priority"),
    ("priority-huge", body(priority=HUGE), 422, "priority"),
    ("priority-huge-negative", body(priority=-HUGE), 422, "priority"),
    ("priority-nan", raw('{"code": "print(1)", "priority": NaN}'), 422, "priority"),
    ("environment-unknown", body(environment="../../etc"), 422, "environment"),
    ("environment-nul", body(environment="python\x00"), 422, "environment"),
    ("executor-image-unknown", body(executor_image="ubuntu:latest"), 422, "executor_image"),
    ("memory-negative", body(memory_limit="-5Mi"), 422, "memory_limit"),
    ("memory-zero", body(memory_limit="0"), 422, "memory_limit"),
    ("memory-huge", body(memory_limit="99999999999999999999Ei"), 422, "memory_limit"),
    ("memory-words", body(memory_limit="lots"), 422, "memory_limit"),
    ("memory-number", body(memory_limit=256), 422, "memory_limit"),
    ("cpu-negative", body(cpu_limit="-1"), 422, "cpu_limit"),
    ("cpu-zero", body(cpu_limit=0), 422, "cpu_limit"),
    ("cpu-huge", body(cpu_limit=1e308), 422, "cpu_limit"),
    ("cpu-infinity", raw('{"code": "print(1)", "cpu_limit": Infinity}'), 422, "cpu_limit"),
    ("cpu-list", body(cpu_limit=[]), 422, "cpu_limit"),
    ("debug-string", body(debug="yes"), 422, "debug"),
    ("expect-failure-number", body(expect_failure=1), 422, "expect_failure"),
    ("metadata-list", body(metadata=[]), 422, "metadata"),
    ("metadata-nul-key", body(metadata={"a\x00": 1}), 422, "metadata"),
    ("metadata-over-64kib", body(metadata={"a": "x" * (64 * 1024)}), 422, "metadata"),
]

BAD_QUERIES = [
    ("limit-zero", {"limit": 0}, "limit"),
    ("limit-over-max", {"limit": 101}, "limit"),
    ("limit-words", {"limit": "ten"}, "limit"),
    ("offset-negative", {"offset": -1}, "offset"),
    ("offset-over-bigint", {"offset": 2 ** 64}, "offset"),
    ("status-unknown", {"status": "bogus"}, "status"),
]


def post(api: ApiClient, payload) -> object:
    """POST /eval with `payload` as raw bytes, or serialized as JSON (NUL and all)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return api.submit_response(data=data)


def names(answer, field: str) -> bool:
    """Does the error's detail name `field` (a `loc` entry, or the message itself)?"""
    detail = answer.json()["detail"]
    if isinstance(detail, list):
        return any(field in map(str, item.get("loc", ())) for item in detail)
    return field in str(detail)


@pytest.mark.parametrize("payload, status, field", [c[1:] for c in BAD_SUBMISSIONS],
                         ids=[c[0] for c in BAD_SUBMISSIONS])
def test_bad_submission_is_refused_naming_the_field(fuzz_api, payload, status, field):
    answer = post(fuzz_api, payload)
    assert answer.status_code == status, f"{answer.status_code}: {answer.text[:500]}"
    assert names(answer, field), f"the detail does not name {field!r}: {answer.text[:500]}"


@pytest.mark.parametrize("params, field", [c[1:] for c in BAD_QUERIES], ids=[c[0] for c in BAD_QUERIES])
def test_bad_list_query_is_refused_naming_the_parameter(fuzz_api, params, field):
    answer = fuzz_api.request("GET", "/evaluations", params=params)
    assert answer.status_code == 422, f"{answer.status_code}: {answer.text[:500]}"
    assert names(answer, field), f"the detail does not name {field!r}: {answer.text[:500]}"


def test_refused_submissions_store_nothing(fuzz_api):
    before = fuzz_api.evaluations(limit=1)["total"]
    for _, payload, _, _ in BAD_SUBMISSIONS:
        assert 400 <= post(fuzz_api, payload).status_code < 500
    assert fuzz_api.evaluations(limit=1)["total"] == before


@pytest.mark.parametrize("chunked", [False, True], ids=["declared-length", "chunked"])
def test_body_over_2_mib_is_413(fuzz_api, chunked):
    payload = json.dumps({"code": "#" * (2 * MIB + 1024)}).encode()
    # A generator makes requests stream it chunked, with no Content-Length to trust.
    data = (payload[i:i + 65536] for i in range(0, len(payload), 65536)) if chunked else payload
    answer = fuzz_api.request("POST", "/eval", data=data, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413, f"{answer.status_code}: {answer.text[:500]}"
    assert names(answer, "body"), answer.text


@pytest.mark.parametrize("path", ["/eval/does-not-exist", "/eval/%E2%9C%93/status", "/eval/%00/logs",
                                  "/eval/" + "a" * 5000])
def test_unknown_evaluation_is_404(fuzz_api, path):
    assert fuzz_api.request("GET", path).status_code == 404


def test_cancel_of_unknown_evaluation_is_404(fuzz_api):
    assert fuzz_api.cancel("does-not-exist").status_code == 404


def test_unicode_code_runs_and_comes_back_intact(fuzz_evaluations):
    """The positive control: unicode is not "malformed"; it runs and its output is exact."""
    text = "héllo ✓ 𝄞 中文 \u202e"
    record = fuzz_evaluations.run(f"print({text!r})")
    assert (record["status"], record["output"]) == ("completed", text + "\n"), record

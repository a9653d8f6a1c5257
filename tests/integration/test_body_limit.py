"""An oversized body is always answered: 413 with its JSON detail, for every client.

Before the API drained the rest of the body, Python's urllib lost the answer to a reset
connection in 15 of 20 tries. Each client here sends 20 bodies of 3 MiB (the limit is
2 MiB) and must see 20 answers of 413 naming the body.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
import requests

pytestmark = pytest.mark.integration

TRIES = 20
BODY = json.dumps({"code": "x" * (3 * 1024 * 1024)}).encode()


def _check(status: int, text: str) -> tuple[int, str]:
    detail = json.loads(text)["detail"]
    return status, detail[0]["loc"][0]


def _urllib(url: str, body_file) -> tuple[int, str]:
    request = urllib.request.Request(url, data=BODY, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return _check(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return _check(error.code, error.read().decode())


def _requests(url: str, body_file) -> tuple[int, str]:
    answer = requests.post(url, data=BODY, headers={"Content-Type": "application/json"}, timeout=30)
    return _check(answer.status_code, answer.text)


def _curl(url: str, body_file, *extra: str) -> tuple[int, str]:
    done = subprocess.run(["curl", "-sS", "--max-time", "30", "-H", "Content-Type: application/json",
                           *extra, "--data-binary", f"@{body_file}", "-w", "\n%{http_code}", url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text, _, status = done.stdout.rpartition("\n")
    return _check(int(status), text)


def _curl_without_expect(url: str, body_file) -> tuple[int, str]:
    """curl asks `Expect: 100-continue` for large bodies; without it, it streams at once."""
    return _curl(url, body_file, "-H", "Expect:")


CLIENTS = {"urllib": _urllib, "requests": _requests, "curl": _curl,
           "curl-without-expect": _curl_without_expect}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_every_oversized_submission_gets_its_413(stack, client, tmp_path):
    if client.startswith("curl") and not shutil.which("curl"):
        pytest.skip("curl is not installed")
    body_file = tmp_path / "body.json"
    body_file.write_bytes(BODY)
    url = f"{stack.urls['API_URL']}/eval"
    answers = []
    for _ in range(TRIES):
        try:
            answers.append(CLIENTS[client](url, body_file))
        except (OSError, requests.RequestException) as exc:   # a reset: the answer was lost
            answers.append((None, f"{type(exc).__name__}: {exc}"))
    assert answers == [(413, "body")] * TRIES, answers

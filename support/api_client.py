"""The platform's HTTP API, as the contract names it (the only module that knows its paths).

A `requests.Session` with a timeout on every call. It retries connection errors only
(the request never reached the server, so retrying cannot submit twice); a slow or
failing answer is reported, never retried away. Errors carry the response body,
because "422" alone says nothing and the body names the field.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0


class ApiError(AssertionError):
    """An answer other than the one expected; the message holds the body."""

    def __init__(self, response: requests.Response, expected: tuple[int, ...]):
        body = response.text if len(response.text) < 2000 else response.text[:2000] + "..."
        super().__init__(f"{response.request.method} {response.url} answered {response.status_code}"
                         f" (expected {'/'.join(map(str, expected))}): {body}")
        self.response = response


class ApiClient:
    def __init__(self, base_url: str, *, timeout_scale: float = 1.0, pool_size: int = 64):
        self.base_url = base_url.rstrip("/")
        self.timeout = (CONNECT_TIMEOUT * timeout_scale, READ_TIMEOUT * timeout_scale)
        self.session = requests.Session()
        retry = Retry(total=None, connect=3, read=0, status=0, other=0, redirect=0,
                      backoff_factor=0.1, allowed_methods=None, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    # -- raw access (bad-input scenarios look at any status) ---------------------------

    def url(self, path: str) -> str:
        """`path` below the base URL, e.g. url("/eval") -> http://host:port/api/eval."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.url(path), **kwargs)

    def expect(self, method: str, path: str, *statuses: int, **kwargs: Any) -> requests.Response:
        response = self.request(method, path, **kwargs)
        expected = statuses or (200,)
        if response.status_code not in expected:
            raise ApiError(response, expected)
        return response

    def json(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        return self.expect(method, path, *statuses, **kwargs).json()

    # -- the contract's endpoints ----------------------------------------------------

    def submit_response(self, body: Any = None, *, data: bytes | None = None,
                        headers: dict | None = None) -> requests.Response:
        """POST /eval with a JSON body (or raw bytes), whatever the answer."""
        if data is not None:
            return self.request("POST", "/eval", data=data,
                                headers={"Content-Type": "application/json", **(headers or {})})
        return self.request("POST", "/eval", json=body, headers=headers)

    def submit(self, code: str, **fields: Any) -> dict:
        """Submit and expect acceptance: {eval_id, status, message, queue_position}."""
        return self.json("POST", "/eval", 200, json={"code": code, **fields})

    def evaluation(self, eval_id: str) -> dict:
        return self.json("GET", f"/eval/{eval_id}")

    def status(self, eval_id: str) -> dict:
        return self.json("GET", f"/eval/{eval_id}/status")

    def logs(self, eval_id: str) -> dict:
        return self.json("GET", f"/eval/{eval_id}/logs")

    def cancel(self, eval_id: str) -> requests.Response:
        """POST /eval/{id}/cancel, whatever the answer (a terminal one answers 409)."""
        return self.request("POST", f"/eval/{eval_id}/cancel")

    def evaluations(self, **params: Any) -> dict:
        return self.json("GET", "/evaluations", params={k: v for k, v in params.items() if v is not None})

    def queue_status(self) -> dict:
        return self.json("GET", "/queue/status")

    def health(self) -> requests.Response:
        """GET /health, whatever the answer (503 means degraded)."""
        return self.request("GET", "/health")

    def environments(self) -> Any:
        return self.json("GET", "/environments")

    def platform(self) -> dict:
        return self.json("GET", "/platform")

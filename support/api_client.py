"""The platform's HTTP API (the only module that knows its paths), in the target's dialect
(support/dialects: the contract's, or crucible's).

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

from support.dialects import CONTRACT, Answer, Dialect, Health, NotOffered, Place

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0


class ApiError(AssertionError):
    """An answer other than the one expected; the message holds the body."""

    def __init__(self, response: requests.Response, expected: tuple[int, ...]):
        body = response.text if len(response.text) < 2000 else response.text[:2000] + "..."
        super().__init__(f"{response.request.method} {response.url} answered {response.status_code}"
                         f" (expected {'/'.join(map(str, expected))}): {body}")
        self.response = response


def root_of(base_url: str) -> str:
    """The server root of an API base URL (http://h:p/api -> http://h:p), where crucible
    serves /health."""
    base = base_url.rstrip("/")
    return base[: -len("/api")] if base.endswith("/api") else base


class ApiClient:
    def __init__(self, base_url: str, *, timeout_scale: float = 1.0, pool_size: int = 64,
                 dialect: Dialect = CONTRACT):
        self.base_url = base_url.rstrip("/")
        self.root_url = root_of(self.base_url)
        self.dialect = dialect
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

    def url_of(self, place: Place) -> str:
        base = self.base_url if place.base == "api" else self.root_url
        return f"{base}/{place.path.lstrip('/')}"

    def request(self, method: str, path: str | Place, **kwargs: Any) -> requests.Response:
        """`path` below the base URL, or a dialect's Place (which may be at the root)."""
        kwargs.setdefault("timeout", self.timeout)
        url = self.url_of(path) if isinstance(path, Place) else self.url(path)
        return self.session.request(method, url, **kwargs)

    def probe(self, base: str, path: str) -> Answer | None:
        """GET base+path for dialect detection (support.dialects.detect): the answer, or
        None when nothing answered."""
        try:
            response = self.request("GET", Place(base, path))
        except requests.RequestException:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, body)

    def expect(self, method: str, path: str | Place, *statuses: int, **kwargs: Any) -> requests.Response:
        response = self.request(method, path, **kwargs)
        expected = statuses or (200,)
        if response.status_code not in expected:
            raise ApiError(response, expected)
        return response

    def json(self, method: str, path: str | Place, *statuses: int, **kwargs: Any) -> Any:
        return self.expect(method, path, *statuses, **kwargs).json()

    # -- the endpoints, in the dialect's paths and answers -------------------------

    def submit_response(self, body: Any = None, *, data: bytes | None = None,
                        headers: dict | None = None) -> requests.Response:
        """POST /eval with a JSON body (or raw bytes), whatever the answer."""
        if data is not None:
            return self.request("POST", "/eval", data=data,
                                headers={"Content-Type": "application/json", **(headers or {})})
        return self.request("POST", "/eval", json=body, headers=headers)

    def submit(self, code: str, **fields: Any) -> dict:
        """Submit and expect acceptance: {eval_id, status, message, queue_position}. The
        fields are the contract's; the dialect renames what its platform spells otherwise."""
        return self.json("POST", "/eval", 200, json=self.dialect.submission({"code": code, **fields}))

    def evaluation(self, eval_id: str) -> dict:
        return self.json("GET", f"/eval/{eval_id}")

    def status(self, eval_id: str) -> dict:
        """The status view (crucible answers 202 while running; the view is the same)."""
        return self.json("GET", f"/eval/{eval_id}/status", *self.dialect.status_codes)

    def logs(self, eval_id: str) -> dict:
        return self.json("GET", f"/eval/{eval_id}/logs")

    def cancel(self, eval_id: str) -> requests.Response:
        """POST /eval/{id}/cancel, whatever the answer (a terminal evaluation answers 409 in
        the contract, 200 "already in terminal state" in crucible: `refused_as`)."""
        return self.request("POST", f"/eval/{eval_id}/cancel")

    def refused_as(self, response: requests.Response) -> str | None:
        """The unchanged terminal status when `response` (to a cancel) is the dialect's
        answer for an evaluation that had already ended; None for any other answer."""
        try:
            body = response.json()
        except ValueError:
            return None
        return self.dialect.cancel_refused_as(response.status_code, body)

    def evaluations(self, **params: Any) -> dict:
        return self.json("GET", "/evaluations", params={k: v for k, v in params.items() if v is not None})

    def queue_status(self) -> dict:
        return self.json("GET", "/queue/status")

    def health(self) -> requests.Response:
        """The dialect's health endpoint ({api}/health, crucible: {root}/health), whatever
        the answer (503 means degraded)."""
        return self.request("GET", self.dialect.health)

    def health_report(self) -> Health:
        """The health answer read in the dialect's spelling: healthy or not, per service."""
        response = self.health()
        try:
            body = response.json()
        except ValueError:
            body = None
        return self.dialect.health_of(response.status_code, body)

    def _offered(self, place: Place | None, what: str) -> Place:
        if place is None:
            raise NotOffered(f"the {self.dialect.name} dialect has no {what} endpoint; "
                             f"what it would say must come from the operator (see docs/dialects.md)")
        return place

    def environments(self) -> Any:
        return self.json("GET", self._offered(self.dialect.environments, "environments"))

    def platform(self) -> dict:
        return self.json("GET", self._offered(self.dialect.platform, "platform (capabilities)"))

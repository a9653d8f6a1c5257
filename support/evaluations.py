"""Submitting evaluations and waiting for their outcome, through the API only.

The waits poll the light `/status` endpoint and fetch the whole record once the
evaluation is terminal. Many evaluations run concurrently from a thread pool, because
the platform runs them concurrently and a scenario should not wait for them in series.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable, Iterable

from support import waiting
from support.api_client import ApiClient
from support.contract import TERMINAL

# Submit -> terminal of a trivial evaluation, in seconds, before scaling. Generous: the
# deadline is there to turn a hang into a readable failure, not to measure speed.
TERMINAL_TIMEOUT = 30.0
CONCURRENCY = 32
# The longest pause between two status polls of one evaluation (they start at
# waiting.DEFAULT_INTERVAL and grow): each poll costs the platform and the suite about 3 ms
# of CPU, so a poll every 20 ms through a 3 s run took a tenth of a core.
STATUS_POLL_MAX_S = 0.1
LIST_PAGE = 100


def timestamp(record: dict, field: str) -> datetime:
    """A record's ISO 8601 timestamp field as a datetime (the field must be set)."""
    value = record.get(field)
    assert value, f"the record has no {field}: {record}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Evaluations:
    def __init__(self, api: ApiClient, timeout_scale: float = 1.0):
        self.api = api
        self.scale = timeout_scale

    def submit(self, code: str, **fields: Any) -> str:
        return self.api.submit(code, **fields)["eval_id"]

    def wait_status(self, eval_id: str, accept: Callable[[str], bool], description: str,
                    timeout: float = TERMINAL_TIMEOUT) -> dict:
        """Poll /status until `accept(status)`; the /status answer is returned."""
        return waiting.until(lambda: self.api.status(eval_id), lambda s: accept(s["status"]),
                             timeout=timeout * self.scale, description=f"evaluation {eval_id} {description}",
                             max_interval=STATUS_POLL_MAX_S)

    def wait_terminal(self, eval_id: str, timeout: float = TERMINAL_TIMEOUT) -> dict:
        """The whole record, once the evaluation is terminal."""
        self.wait_status(eval_id, lambda s: s in TERMINAL, "to end (completed, failed or cancelled)", timeout)
        return self.api.evaluation(eval_id)

    def wait_running(self, eval_id: str, timeout: float = TERMINAL_TIMEOUT) -> dict:
        return self.wait_status(eval_id, lambda s: s == "running", "to be running", timeout)

    def run(self, code: str, **fields: Any) -> dict:
        """Submit `code` with the contract's `fields` (timeout, memory_limit, ...) and return
        the terminal record, waited for until the run's own timeout has passed and more."""
        deadline = TERMINAL_TIMEOUT + float(fields.get("timeout") or 0)
        return self.wait_terminal(self.submit(code, **fields), deadline)

    def submit_many(self, submissions: Iterable[dict]) -> list[str]:
        """Submit concurrently; each item holds `code` and any other fields. Ids in order."""
        items = list(submissions)
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, max(1, len(items)))) as pool:
            return list(pool.map(lambda body: self.api.submit(**body)["eval_id"], items))

    def wait_all_terminal(self, eval_ids: list[str], timeout: float = TERMINAL_TIMEOUT) -> list[dict]:
        """Each one's whole record once it is terminal, waited for one after another: they run
        concurrently all the same, so those behind the first have mostly ended by their turn.
        (One poller per evaluation at once asked the API for hundreds of statuses a second,
        the run's largest CPU cost, for nothing sooner.) Each has `timeout` from its turn."""
        return [self.wait_terminal(eval_id, timeout) for eval_id in eval_ids]

    def cancel_unfinished(self, eval_ids: Iterable[str]) -> None:
        """Cancel those of `eval_ids` that have not ended (a scenario's leftovers)."""
        for eval_id in eval_ids:
            if self.api.status(eval_id)["status"] not in TERMINAL:
                self.api.cancel(eval_id)

    def listed_ids(self, status: str) -> set[str]:
        """Every id GET /evaluations lists under `status`, page by page."""
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.api.evaluations(status=status, limit=LIST_PAGE, offset=offset)
            ids |= {item["eval_id"] for item in page["evaluations"]}
            if not page["has_more"] or not page["evaluations"]:
                return ids
            offset += len(page["evaluations"])

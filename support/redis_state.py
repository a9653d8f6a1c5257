"""The platform's Redis state, as the contract names it (the only module that knows the keys).

- `eval:{id}:running`: JSON `{eval_id, worker_id, executor_id, started_at, timeout}` while
  the evaluation runs;
- `running_evaluations`: the set of running ids;
- `evaluation:{status}`: a pub/sub channel per status, each message JSON
  `{eval_id, status, reason, at}`.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

import redis

RUNNING_SET = "running_evaluations"
CHANNEL_PATTERN = "evaluation:*"
# Keys the suite writes itself (read/write scenarios) live under this prefix, with a TTL.
SCRATCH_PREFIX = "acceptance-suite:"


def running_key(eval_id: str) -> str:
    return f"eval:{eval_id}:running"


def channel(status: str) -> str:
    return f"evaluation:{status}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3)


class RedisState:
    def __init__(self, url: str):
        self.client = connect(url)

    def close(self) -> None:
        self.client.close()

    def ping(self) -> bool:
        return bool(self.client.ping())

    def running_record(self, eval_id: str) -> dict | None:
        raw = self.client.get(running_key(eval_id))
        return None if raw is None else json.loads(raw)

    def is_running_member(self, eval_id: str) -> bool:
        return bool(self.client.sismember(RUNNING_SET, eval_id))

    def running_members(self) -> set[str]:
        """Every id in the running set."""
        return set(self.client.smembers(RUNNING_SET))

    def traces(self, eval_id: str) -> dict:
        """What Redis holds about one evaluation: its running key and set membership."""
        return {"running_key": self.running_record(eval_id), "in_running_set": self.is_running_member(eval_id)}

    # -- read/write round trip in the suite's own keys ---------------------------------

    def scratch_key(self) -> str:
        return f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"

    def write(self, key: str, value: str, ttl_s: int = 60) -> None:
        self.client.set(key, value, ex=ttl_s)

    def read(self, key: str) -> str | None:
        return self.client.get(key)

    def delete(self, key: str) -> int:
        return self.client.delete(key)

    def recorder(self) -> "ChannelRecorder":
        return ChannelRecorder(self.client)


@dataclass(frozen=True)
class Published:
    channel: str
    message: dict


class ChannelRecorder:
    """Records every message on the `evaluation:*` channels from the moment it starts.

    Start it BEFORE submitting: pub/sub has no history, so a late subscriber misses the
    first moves (that is why this is a context manager started by a Given step).
    """

    def __init__(self, client: redis.Redis):
        self._pubsub = client.pubsub()
        self._messages: list[Published] = []
        self._lock = threading.Lock()
        self._thread: redis.client.PubSubWorkerThread | None = None

    def __enter__(self) -> "ChannelRecorder":
        self._pubsub.psubscribe(**{CHANNEL_PATTERN: self._on_message})
        # Wait for the subscription to be confirmed, so nothing published after this
        # returns can be missed.
        while True:
            confirm = self._pubsub.get_message(timeout=5)
            if confirm and confirm["type"] == "psubscribe":
                break
            if confirm is None:
                raise AssertionError("Redis did not confirm the evaluation:* subscription within 5 s")
        self._thread = self._pubsub.run_in_thread(sleep_time=0.01, daemon=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread.join(timeout=2)
        self._pubsub.close()

    def _on_message(self, message: dict) -> None:
        try:
            body = json.loads(message["data"])
        except (TypeError, ValueError):
            body = {"unparsed": message["data"]}
        with self._lock:
            self._messages.append(Published(message["channel"], body))

    def messages(self, eval_id: str | None = None) -> list[Published]:
        with self._lock:
            return [m for m in self._messages if eval_id is None or m.message.get("eval_id") == eval_id]

    def statuses(self, eval_id: str) -> list[str]:
        """The statuses published for `eval_id`, in the order they arrived."""
        return [m.channel.split(":", 1)[1] for m in self.messages(eval_id)]

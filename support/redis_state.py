"""The platform's Redis state (the only module that knows the keys), read in the target's
dialect (support/dialects).

- `eval:{id}:running`: while the evaluation runs. The contract: a JSON string
  `{eval_id, worker_id, executor_id, started_at, timeout}`; crucible: a JSON string or a
  HASH, with fields of its own. `running_record` returns a dict either way.
- `running_evaluations`: the set of running ids;
- `evaluation:{status}`: a pub/sub channel per status, each message JSON (the contract:
  `{eval_id, status, reason, at}`). Crucible's `evaluation:{id}:logs` channels match the
  same pattern; they are not status changes and are left out of `statuses`.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

import redis

from support.dialects import CONTRACT, Dialect
from support.dialects.shapes import running_from_hash, running_from_json

RUNNING_SET = "running_evaluations"
# Keys the suite writes itself (read/write scenarios) live under this prefix, with a TTL.
SCRATCH_PREFIX = "acceptance-suite:"


def running_key(eval_id: str) -> str:
    return f"eval:{eval_id}:running"


def channel(status: str) -> str:
    return f"evaluation:{status}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3)


class RedisState:
    def __init__(self, url: str, *, dialect: Dialect = CONTRACT):
        self.client = connect(url)
        self.dialect = dialect

    def close(self) -> None:
        self.client.close()

    def ping(self) -> bool:
        return bool(self.client.ping())

    def running_record(self, eval_id: str) -> dict | None:
        """The running key's content as a dict (None when there is no key), read as the
        dialect holds it; a key of another Redis type is reported, not guessed at."""
        return read_running(self.client, running_key(eval_id), self.dialect.running_key_types)

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
        return ChannelRecorder(self.client, self.dialect)


def read_running(client: redis.Redis, key: str, types: tuple[str, ...]) -> dict | None:
    """The running key `key`, whichever of `types` ("string": JSON, "hash") it has."""
    kind = client.type(key)
    if kind == "none":
        return None
    if kind not in types:
        raise AssertionError(f"{key} is a Redis {kind}; the dialect holds running keys as {' or '.join(types)}")
    # The key may end between TYPE and the read: both readers turn that into None.
    if kind == "hash":
        return running_from_hash(client.hgetall(key))
    return running_from_json(client.get(key))


@dataclass(frozen=True)
class Published:
    channel: str
    message: dict
    # The status the channel announces; None for channels that announce none.
    status: str | None = None


class ChannelRecorder:
    """Records every message on the `evaluation:*` channels from the moment it starts.

    Start it BEFORE submitting: pub/sub has no history, so a late subscriber misses the
    first moves (that is why this is a context manager started by a Given step).
    """

    def __init__(self, client: redis.Redis, dialect: Dialect = CONTRACT):
        self._dialect = dialect
        self._pattern = dialect.channel_pattern
        self._pubsub = client.pubsub()
        self._messages: list[Published] = []
        self._lock = threading.Lock()
        self._thread: redis.client.PubSubWorkerThread | None = None

    def __enter__(self) -> "ChannelRecorder":
        self._pubsub.psubscribe(**{self._pattern: self._on_message})
        # Wait for the subscription to be confirmed, so nothing published after this
        # returns can be missed.
        while True:
            confirm = self._pubsub.get_message(timeout=5)
            if confirm and confirm["type"] == "psubscribe":
                break
            if confirm is None:
                raise AssertionError(f"Redis did not confirm the {self._pattern} subscription within 5 s")
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
        if not isinstance(body, dict):
            body = {"unparsed": message["data"]}
        channel_name = message["channel"]
        with self._lock:
            self._messages.append(Published(channel_name, body, self._dialect.status_of_channel(channel_name)))

    def messages(self, eval_id: str | None = None) -> list[Published]:
        """The status-change messages (about `eval_id`), in the order they arrived."""
        with self._lock:
            return [m for m in self._messages if m.status is not None
                    and (eval_id is None or m.message.get("eval_id") == eval_id)]

    def statuses(self, eval_id: str) -> list[str]:
        """The statuses published for `eval_id`, in the order they arrived."""
        return [m.status for m in self.messages(eval_id)]

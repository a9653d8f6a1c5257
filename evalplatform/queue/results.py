"""The result backend: Celery's Redis backend, without a subscription per task sent, and
with each state stored in one round trip.

Celery's Redis backend subscribes the SENDING process to each task's result channel
(`on_task_call`), so that a later `AsyncResult.get()` need not poll. The platform never
waits on a task's result where it sends it: the API answers from the store and the
worker's retries are fire-and-forget. Those subscriptions cost the API a SUBSCRIBE and
an UNSUBSCRIBE per evaluation, plus a pub/sub reader thread handling every STARTED and
SUCCESS message the workers publish. Results are still stored exactly as before (the
STARTED and SUCCESS states, for diagnose and any client), and `AsyncResult.get()` still
works: it subscribes when it is called.

Storing a state, Celery reads the stored one first (GET) and leaves a SUCCESS alone (a
lost worker's late duplicate must not overwrite it), then sets and publishes the new one
(MULTI/EXEC): two round trips, and between them another writer may store SUCCESS. Here
the same rule is one Lua script, _STORE_UNLESS_SUCCESS: one round trip, and atomic. The
worker stores STARTED and SUCCESS for every evaluation, STARTED on the way to the run.
"""

from __future__ import annotations

from celery import states
from celery.backends.base import BackendStoreError
from celery.backends.redis import RedisBackend
from kombu.utils.encoding import bytes_to_str

# KEYS[1]: the task's meta key. ARGV: the encoded meta, the expiry in seconds (0: none).
_STORE_UNLESS_SUCCESS = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta = pcall(cjson.decode, current)
  if ok and type(meta) == 'table' and meta['status'] == 'SUCCESS' then
    return 0
  end
end
local expires = tonumber(ARGV[2])
if expires > 0 then
  redis.call('SETEX', KEYS[1], expires, ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
"""


class ResultBackend(RedisBackend):
    _store_script = None

    def on_task_call(self, producer, task_id):
        """Nothing: see the module docstring."""

    def _store_result(self, task_id, result, state, traceback=None, request=None, **kwargs):
        """Celery's rule (a stored SUCCESS is never overwritten), in one atomic round trip."""
        meta = self._get_result_meta(result=result, state=state, traceback=traceback, request=request)
        meta["task_id"] = bytes_to_str(task_id)
        value = self.encode(meta)
        if isinstance(value, str) and len(value) > self._MAX_STR_VALUE_SIZE:
            raise BackendStoreError("value too large for Redis backend", state=state, task_id=task_id)
        expires = self.failure_expires if state == states.FAILURE else self.expires
        self.ensure(self._store_unless_success, (self.get_key_for_task(task_id), value, expires))
        return result

    def _store_unless_success(self, key, value, expires) -> None:
        if self._store_script is None:
            self._store_script = self.client.register_script(_STORE_UNLESS_SUCCESS)
        self._store_script(keys=[key], args=[value, int(expires or 0)])


def backend_url(url: str) -> str:
    """`result_backend` naming this class in front of a redis:// URL (Celery's `cls+url`)."""
    return f"{__name__}:{ResultBackend.__name__}+{url}" if url.startswith(("redis://", "rediss://")) else url

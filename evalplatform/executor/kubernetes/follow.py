"""Following the evaluation container's log while it runs, for live output.

A thread holds one `follow=true` log request open and hands each new piece of program
output to `on_output` (never the runner's trailer: see logs.live_prefix). When the
container ends, the API server closes the stream and the bytes read are the whole log;
if the stream broke instead, `complete` stays False and the caller reads the log again.

The thread is never stopped from outside (closing a response another thread is reading
blocks on the reader's lock): it ends when the stream does, which deleting the Job's Pod
causes, or at its read timeout.
"""

from __future__ import annotations

import threading
from typing import Optional

from evalplatform.executor.kubernetes.client import Apis
from evalplatform.executor.kubernetes.logs import live_prefix
from evalplatform.executor.kubernetes.manifest import CONTAINER
from evalplatform.run import STDOUT, OutputCallback


class LogFollower:
    def __init__(self, apis: Apis, namespace: str, pod: str, on_output: Optional[OutputCallback],
                 timeout: tuple[float, float]):
        self._apis, self._namespace, self._pod = apis, namespace, pod
        self._on_output, self._timeout = on_output, timeout
        self.raw = b""
        self.complete = False
        self._emitted = 0
        self._thread = threading.Thread(target=self._follow, name=f"log-{pod}", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        try:
            response = self._apis.core.read_namespaced_pod_log(
                self._pod, self._namespace, container=CONTAINER, follow=True,
                _preload_content=False, _request_timeout=self._timeout)
            for chunk in response.stream(None, decode_content=False):   # one HTTP chunk at a time
                self.raw += chunk
                self._emit()
            self.complete = True
        except Exception:  # noqa: BLE001 - a broken stream: `complete` stays False, the log is read again
            return

    def _emit(self) -> None:
        live = live_prefix(self.raw)
        if self._on_output and len(live) > self._emitted:
            self._on_output(STDOUT, live[self._emitted:])
            self._emitted = len(live)

    def wait(self, timeout_s: float) -> bool:
        """Wait for the stream to end; True when it ended with the whole log read."""
        self._thread.join(timeout_s)
        return self.complete and not self._thread.is_alive()

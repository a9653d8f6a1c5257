"""Reading a target's stdout and stderr with the suite's own cap.

Output read from a sandbox is capped by the suite (NetLimits.output_bytes, 1 MiB per
stream by default): a target that floods its output must not exhaust the suite's
memory. Past the cap the reader keeps the first bytes, flags the stream truncated and
calls `on_overflow` (the runner then ends the run and reports the flood).
"""

from __future__ import annotations

import threading
from typing import BinaryIO, Callable

CHUNK = 65536


class CappedReader:
    def __init__(self, stream: BinaryIO, cap: int, on_overflow: Callable[[], None]):
        self.cap = cap
        self.truncated = False
        self._stream = stream
        self._chunks: list[bytes] = []
        self._size = 0
        self._on_overflow = on_overflow
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            while True:
                chunk = self._stream.read1(CHUNK) if hasattr(self._stream, "read1") else self._stream.read(CHUNK)
                if not chunk:
                    return
                room = self.cap - self._size
                if len(chunk) > room:
                    self._chunks.append(chunk[:room])
                    self._size = self.cap
                    self.truncated = True
                    self._on_overflow()
                    return
                self._chunks.append(chunk)
                self._size += len(chunk)
        except (OSError, ValueError):
            return
        finally:
            self._stream.close()

    def join(self, timeout: float) -> bool:
        """Wait for end of stream; False if writers still hold it open after `timeout`."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")

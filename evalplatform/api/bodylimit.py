"""Refuse request bodies over a limit with 413, before anything parses them — and make
sure the client sees that 413.

Both the declared Content-Length and the bytes actually received count: a client that
lies about the length, or streams a chunked body, is stopped at the limit without the
rest being buffered. Bodies within the limit are handed on unchanged.

Answering before the body is read is not enough: closing a connection whose unread body
is still arriving makes the kernel send a reset, and a client still writing (Python's
urllib, requests) then loses the answer. So the rest of an oversized body is read and
discarded, up to DRAIN_MAX_BYTES and DRAIN_TIMEOUT_S, before the 413 goes out; past
those bounds the connection is closed anyway (a client sending that much is not one to
wait for). A client that asked `Expect: 100-continue` (curl, for large bodies) has sent
nothing yet and gets the 413 at once: it never sends the body.
"""

from __future__ import annotations

import asyncio
import json
import time

from evalplatform import failpoints

MAX_BODY_BYTES = 2 * 1024 * 1024
DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_TIMEOUT_S = 10.0


class BodySizeLimit:
    """Pure ASGI middleware (it must see the raw receive channel)."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, drain_max_bytes: int = DRAIN_MAX_BYTES,
                 drain_timeout_s: float = DRAIN_TIMEOUT_S):
        self.app, self.max_bytes = app, max_bytes
        self.drain_max_bytes, self.drain_timeout_s = drain_max_bytes, drain_timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or failpoints.active("body_limit_off"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await self._drain(receive, int(declared))
            return await self._too_large(send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":   # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                if more:
                    await self._drain(receive, None, already=len(body))
                return await self._too_large(send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive, declared, already: int = 0) -> None:
        """Read and drop the rest of the body, within the drain bounds."""
        if declared is not None and declared > self.drain_max_bytes:
            return
        seen, deadline = already, time.monotonic() + self.drain_timeout_s
        while seen <= self.drain_max_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                message = await asyncio.wait_for(receive(), left)
            except asyncio.TimeoutError:
                return
            if message["type"] != "http.request":
                return
            seen += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _too_large(self, send) -> None:
        payload = json.dumps({"detail": [{
            "loc": ["body"], "type": "body_too_large",
            "msg": f"request body is larger than {self.max_bytes} bytes"}]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})

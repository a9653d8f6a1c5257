"""Refuse request bodies over a limit with 413, before anything parses them.

Both the declared Content-Length and the bytes actually received count: a client that
lies about the length, or streams a chunked body, is stopped at the limit without the
rest being buffered. Bodies within the limit are handed on unchanged.
"""

from __future__ import annotations

import json

from evalplatform import failpoints

MAX_BODY_BYTES = 2 * 1024 * 1024


class BodySizeLimit:
    """Pure ASGI middleware (it must see the raw receive channel)."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or failpoints.active("body_limit_off"):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._too_large(send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":   # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._too_large(send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send) -> None:
        payload = json.dumps({"detail": [{
            "loc": ["body"], "type": "body_too_large",
            "msg": f"request body is larger than {self.max_bytes} bytes"}]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})

"""Every request body bounded while it streams: a declared Content-Length over the limit is refused before a
byte is read, and a chunked body is counted as it arrives and refused at the first byte past the limit.

Pure ASGI, so nothing is buffered here: uvicorn stops reading the socket while the application is not
receiving (its flow control), and the application reads through the counting `receive`. Views that read
the body get an `ApiError(413)` from `receive` and answer it in their own error format (the API's JSON,
Open311's list).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.errors import ApiError


def too_large_message(limit: int) -> str:
    return f"提交的内容过大（上限 {limit // 1024} KB）"


class BodyLimit:
    """`default` bytes for every route; `prefixes` give paths (the import upload, Open311) limits of their own."""

    def __init__(self, app: ASGIApp, default: int, prefixes: dict[str, int] | None = None):
        self.app = app
        self.default = default
        self.prefixes = sorted((prefixes or {}).items(), key=lambda item: -len(item[0]))  # the longest first

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.prefixes if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, too_large_message(limit), code="too_large")
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    message = too_large_message(limit)
    if scope["path"].startswith("/open311/"):  # Open311 answers errors as a list (its spec)
        body: object = [{"code": 413, "description": message}]
    else:
        body = {"error": {"code": "too_large", "message": message}}
    payload = json.dumps(body, ensure_ascii=False).encode()
    # uvicorn discards whatever of the body still comes after a complete response (never buffered), so a
    # client that sends its whole body before reading the answer still gets the 413
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})

"""Request size limits (seed hardening): a body over `MAX_BODY_BYTES` is refused with 413 before a route
reads it, whether it declares its length or streams it chunked; an oversized Authorization header
(an admin or player token is well under a kilobyte) with 431."""

import json

MAX_BODY_BYTES = 1024 * 1024
MAX_AUTH_HEADER_BYTES = 4096


def _error(status: int, code: str, detail: str) -> tuple[dict, dict]:
    body = json.dumps({"error": code, "detail": detail}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class RequestLimits:
    def __init__(self, app, max_body: int = MAX_BODY_BYTES, max_auth: int = MAX_AUTH_HEADER_BYTES):
        self.app, self.max_body, self.max_auth = app, max_body, max_auth
        self._too_large = f"request bodies are limited to {max_body} bytes"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if len(headers.get(b"authorization", b"")) > self.max_auth:
            await self._refuse(send, 431, "request_header_fields_too_large", "the Authorization header is too long")
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(send, 413, "content_too_large", self._too_large)
            return
        received, started, refused = 0, False, False

        async def counted_receive():
            """Past the limit: answer 413 at once and tell the app the client left, so it stops reading."""
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body and not started:
                    refused = True
                    await self._refuse(send, 413, "content_too_large", self._too_large)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the 413 is the answer; whatever the app makes of the disconnect is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    @staticmethod
    async def _refuse(send, status: int, code: str, detail: str) -> None:
        start, body = _error(status, code, detail)
        await send(start)
        await send(body)

"""The game platform's failures: one typed error with a stable code, and the transient wrapper retries use."""

from typing import Any

CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "bad_request",  # FastAPI's validation answer: the request is wrong, like a 400
    429: "rate_limited",
}


class GamePlatformError(Exception):
    """Every failure the client reports.

    `status` is the HTTP status (None when no answer came), `code` a stable machine-readable name
    ("not_found", "conflict", "bad_request", "unauthorized", "forbidden", "rate_limited",
    "client_error", "server_error", "timeout", "connection_error", "invalid_response"), `message`
    a readable sentence and `context` the method, path and safe request parameters (never the token,
    never personal data).
    """

    def __init__(self, status: int | None, code: str, message: str, context: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.context: dict[str, Any] = dict(context or {})

    def __str__(self) -> str:
        where = f"{self.context.get('method', '')} {self.context.get('path', '')}".strip()
        http = f"HTTP {self.status}" if self.status is not None else "no HTTP answer"
        return f"{self.code} ({http}{', ' + where if where else ''}): {self.message}"

    def __repr__(self) -> str:
        return (
            f"GamePlatformError(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, context={self.context!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args); ours takes four arguments (Dagster pickles failures).
        return (self.__class__, (self.status, self.code, self.message, self.context))


class Transient(Exception):
    """Internal: a failure worth another attempt; carries the error to raise when attempts run out."""

    def __init__(self, error: GamePlatformError):
        super().__init__(error.code)
        self.error = error

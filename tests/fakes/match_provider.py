"""A fake match provider: a real local HTTP server answering GET /matches/{roomId}, with faults.

Admin endpoints on the same server (not counted in ``calls``), so another process can drive it:
``GET /_admin/health``, ``GET /_admin/calls`` (requests per room), ``POST /_admin/matches``
(set_match kwargs: ``{room_id, status, home?, away?}``), ``POST /_admin/faults`` ``{fault, times?}``,
``POST /_admin/reset``. Run as a separate process with::

    python -m tests.fakes.match_provider --port 0 [--state matches.json]

which prints ``READY http://127.0.0.1:PORT`` once it is listening (``--state``: ``{"matches": [set_match
kwargs]}`` to preload).
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes._http import cli_parser, serve_cli

FAULTS = frozenset({"http500", "garbage", "partial"})


class FakeMatchProvider:
    """`set_match(room, status, home, away)`; `inject(fault, times)` with fault in http500, garbage,
    partial (ended without scores); `calls` counts requests per room."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.matches: dict[str, dict] = {}
        self.faults: list[str] = []
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def set_match(self, room_id: str, status: str, home: int | None = None, away: int | None = None) -> None:
        with self._lock:
            self.matches[room_id] = {"status": status, "homeScore": home, "awayScore": away, "matchId": room_id}

    def inject(self, fault: str, times: int = 1) -> None:
        with self._lock:
            self.faults.extend([fault] * times)

    def reset(self) -> None:
        with self._lock:
            self.matches.clear()
            self.faults.clear()
            self.calls.clear()

    def _answer(self, path: str) -> tuple[int, bytes]:
        room_id = path.rsplit("/", 1)[-1]
        with self._lock:
            self.calls[room_id] = self.calls.get(room_id, 0) + 1
            fault = self.faults.pop(0) if self.faults else None
            match = self.matches.get(room_id)
        if fault == "http500":
            return 500, b'{"error":"internal"}'
        if fault == "garbage":
            return 200, b"<html>upstream timeout"
        if not path.startswith("/matches/") or match is None:
            return 404, b'{"error":"match not found"}'
        if fault == "partial":
            return 200, json.dumps({**match, "status": "ended", "homeScore": None}).encode()
        return 200, json.dumps(match).encode()

    def _admin(self, verb: str, path: str, raw: bytes) -> tuple[int, Any]:
        """One ``/_admin/`` request: (status, JSON answer); bad arguments answer 400 ``{"error": ...}``."""
        try:
            body = json.loads(raw) if raw else {}
            route = (verb, path.rstrip("/"))
            if route == ("GET", "health"):
                return 200, {"ok": True}
            if route == ("GET", "calls"):
                with self._lock:
                    return 200, dict(self.calls)
            if route == ("POST", "matches"):
                self.set_match(**body)
                return 200, self.matches[body["room_id"]]
            if route == ("POST", "faults"):
                if body.get("fault") not in FAULTS:
                    raise ValueError(f"unknown fault {body.get('fault')!r}; expected one of {sorted(FAULTS)}")
                self.inject(**body)
                return 200, {"ok": True}
            if route == ("POST", "reset"):
                self.reset()
                return 200, {"ok": True}
            return 404, {"error": f"no admin route {verb} /_admin/{path}"}
        except (TypeError, ValueError, KeyError) as exc:
            return 400, {"error": str(exc)}

    def start(self) -> "FakeMatchProvider":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _admin(self, verb: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._admin(verb, self.path.split("?", 1)[0][len("/_admin/") :], raw)
                self._reply(status, json.dumps(answer).encode())

            def do_GET(self) -> None:
                if self.path.startswith("/_admin/"):
                    self._admin("GET")
                    return
                self._reply(*fake._answer(self.path))

            def do_POST(self) -> None:
                if self.path.startswith("/_admin/"):
                    self._admin("POST")
                    return
                self._reply(405, b'{"error":"method not allowed"}')

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeMatchProvider":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def load_state(fake: FakeMatchProvider, state: dict[str, Any]) -> None:
    """Load ``{"matches": [set_match kwargs]}``."""
    for match in state.get("matches", []):
        fake.set_match(**match)


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tests.fakes.match_provider", __doc__.splitlines()[0])
    parser.add_argument("--state", help='JSON file {"matches": [{room_id, status, home?, away?}]} to preload')
    args = parser.parse_args(argv)
    return serve_cli(FakeMatchProvider(args.host, args.port), args.state, load_state)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())

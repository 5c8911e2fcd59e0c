"""A fake match provider: a real local HTTP server answering GET /matches/{roomId}, with faults."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeMatchProvider:
    """`set_match(room, status, home, away)`; `inject(fault, times)` with fault in http500, garbage,
    partial (ended without scores); `calls` counts requests per room."""

    def __init__(self) -> None:
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

    def start(self) -> "FakeMatchProvider":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = fake._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

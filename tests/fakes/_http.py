"""HTTP plumbing shared by the fakes that are real local HTTP servers.

``tests.fakes.codeforces`` and ``tests.fakes.game_platform`` each subclass ``HttpFake`` and
implement ``_handle(handler, verb, path, params, raw)``, ``base_url``, ``inject``, ``reset`` and
``_admin_route`` (see ``HttpFake``); this module gives them:

* ``FakeServer`` - a ``ThreadingHTTPServer`` (daemon threads, no reverse DNS on bind) that tracks
  its open connections so ``stop()`` can drop them, and ignores clients hanging up;
* ``FakeHandler`` - an HTTP/1.1 keep-alive handler that says ``Server: nginx``, logs nothing and
  passes every GET/POST/DELETE/PUT to ``fake._handle`` with the query and body already parsed;
* ``HttpFake`` - start (in a daemon thread, returning once ``GET /_admin/health`` answers 200),
  stop, context manager, ``root_url``, ``_send``, the FIFO fault queue, the call log and the
  ``/_admin/`` JSON endpoint skeleton (with the common ``faults`` and ``reset`` routes);
* ``dumps`` (compact UTF-8 JSON) and the ``python -m ...`` helpers ``cli_parser``,
  ``add_state_args`` and ``serve_cli`` (which prints ``READY <base_url>``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, ClassVar, Generic, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "FakeServer", "FakeHandler", "HttpFake", "NO_ADMIN_ROUTE", "dumps", "cli_parser", "add_state_args", "serve_cli",
]  # fmt: skip

CallT = TypeVar("CallT")
NO_ADMIN_ROUTE: Any = object()  # returned by HttpFake._admin_route for a route it does not know


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as both real APIs send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FakeServer(ThreadingHTTPServer):
    """Threaded server for one ``HttpFake``; tracks open connections for ``close_all_connections``."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: HttpFake

    def __init__(self, address: tuple[str, int], fake: HttpFake, request_queue_size: int = 1024) -> None:
        self.fake = fake
        self.request_queue_size = request_queue_size  # read by server_activate() (listen backlog)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, FakeHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on reverse DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # clients hanging up (e.g. after their own timeout) are normal here
        super().handle_error(request, client_address)


class FakeHandler(BaseHTTPRequestHandler):
    """Keep-alive handler that hands each request to ``server.fake._handle``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeServer

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _dispatch(self, verb: str) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        self.server.fake._handle(self, verb, url.path, params, raw)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")


class HttpFake(Generic[CallT]):
    """Base of a fake served over real TCP in a daemon thread, logging calls of type ``CallT``.

    Subclasses call ``super().__init__(...)`` first, set ``self._faults = []`` (and again in
    ``reset``), implement ``_handle``, ``base_url``, ``inject`` (via ``_queue_fault``), ``reset``
    and ``_admin_route``, and answer ``GET /_admin/health`` with 200 (``start`` waits for that).
    ``self._lock`` (an RLock) guards all state; ``self._stopping`` is set while ``stop()`` runs, so
    a stalled response can ``self._stopping.wait(delay)`` and give up early.
    """

    request_queue_size: ClassVar[int] = 1024  # listen backlog
    _admin_content_type: ClassVar[str] = "application/json"  # of the /_admin/ answers
    _faults: list[list[Any]]  # [fault, remaining, only | None], FIFO

    def __init__(self, host: str, port: int, *, timeout_delay: float, max_calls: int | None) -> None:
        self.host = host
        self.port = port
        self.timeout_delay = timeout_delay
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None
        self._calls: deque[CallT] = deque(maxlen=max_calls)

    def _handle(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        """Answer one request: ``path`` without the query, ``params`` the first value of each query
        parameter, ``raw`` the request body."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def inject(self, fault: str, times: int = 1) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Listen and serve in a daemon thread; returns once the server answers."""
        name = type(self).__name__
        with self._lock:
            if self._server is not None:
                return self
            self._stopping.clear()
            server = FakeServer((self.host, self.port), self, self.request_queue_size)
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05},
                name=f"{name}:{self.port}", daemon=True,
            )  # fmt: skip
            self._thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = http.client.HTTPConnection(self._connect_host, self.port, timeout=1)
                conn.request("GET", "/_admin/health")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not come up on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop listening, drop open connections and wake pending ``timeout`` faults."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def _connect_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0") else ("::1" if self.host == "::" else self.host)

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT`` (no trailing slash)."""
        host = self._connect_host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ faults and calls

    def _queue_fault(self, known: frozenset[str], fault: str, times: int, only: str | None) -> None:
        if fault not in known:
            raise ValueError(f"unknown fault {fault!r}; expected one of {sorted(known)}")
        if int(times) < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append([fault, int(times), only])

    def _take_fault(self, key: str) -> str | None:
        """The next queued fault for ``key`` (an API method or path), consuming one use; under the lock."""
        for i, entry in enumerate(self._faults):
            fault, remaining, only = entry
            if only is None or only == key:
                if remaining <= 1:
                    del self._faults[i]
                else:
                    entry[1] = remaining - 1
                return fault
        return None

    def clear_faults(self) -> None:
        """Drop all queued faults."""
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[tuple[str, int, str | None]]:
        """Queued faults as ``(fault, remaining, only)``, ``only`` the method/path it is limited to."""
        with self._lock:
            return [tuple(f) for f in self._faults]  # type: ignore[misc]

    @property
    def calls(self) -> list[CallT]:
        """Snapshot of the API calls in arrival order."""
        with self._lock:
            return list(self._calls)

    # ------------------------------------------------------------------ responses

    @staticmethod
    def _send(handler: FakeHandler, status: int, content_type: str, body: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    # ------------------------------------------------------------------ /_admin/

    def _admin_route(self, verb: str, path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        """Answer one fake-specific admin route (``path`` without ``/_admin/`` and trailing ``/``):
        the JSON result, ``None`` for ``{"ok": true}``, or ``NO_ADMIN_ROUTE`` if unknown."""
        return NO_ADMIN_ROUTE

    def _handle_admin(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        """Admin endpoints for other processes (JSON in, JSON out; errors are ``{"error": ...}``).

        Common to every fake: ``POST /_admin/faults`` ``{fault, times?, <only>?, timeout_delay?}``
        (inject kwargs), ``DELETE /_admin/faults`` (clear_faults) and ``POST /_admin/reset``; the
        rest is ``_admin_route``. A ``KeyError`` answers 404, ``TypeError``/``ValueError`` 400.
        """
        status, result = 200, {"ok": True}
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            route = (verb, path.rstrip("/"))
            if route == ("POST", "faults"):
                if "timeout_delay" in body:
                    self.timeout_delay = float(body.pop("timeout_delay"))
                if "fault" in body:
                    self.inject(**body)
            elif route == ("DELETE", "faults"):
                self.clear_faults()
            elif route == ("POST", "reset"):
                self.reset()
            else:
                answer = self._admin_route(verb, route[1], params, body)
                if answer is NO_ADMIN_ROUTE:
                    status, result = 404, {"error": f"no admin route {verb} /_admin/{path}"}
                elif answer is not None:
                    result = answer
        except KeyError as exc:  # e.g. an unknown id
            status, result = 404, {"error": str(exc.args[0]) if exc.args else "not found"}
        except (TypeError, ValueError) as exc:
            status, result = 400, {"error": str(exc)}
        self._send(handler, status, self._admin_content_type, dumps(result))


# ---------------------------------------------------------------------- ``python -m`` helpers


def cli_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser with ``--host`` and ``--port``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    return parser


def add_state_args(parser: argparse.ArgumentParser, state_help: str) -> None:
    """Add ``--state`` (a JSON file to preload) and ``--timeout-delay``."""
    parser.add_argument("--state", help=state_help)
    parser.add_argument("--timeout-delay", type=float, default=15.0, help="seconds a 'timeout' fault stalls")


def serve_cli(fake: HttpFake, state_path: str | None, load_state: Callable[[Any, dict[str, Any]], None]) -> int:
    """Preload ``state_path`` (if any) with ``load_state``, start, print ``READY <base_url>`` and
    serve until SIGTERM/SIGINT."""
    if state_path:
        with open(state_path, encoding="utf-8") as fh:
            load_state(fake, json.load(fh))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    fake.start()
    sys.stdout.write(f"READY {fake.base_url}\n")
    sys.stdout.flush()
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0

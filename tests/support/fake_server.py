"""A scripted HTTP server on 127.0.0.1 for faking a model vendor's API in tests.

Each request takes the next scripted :class:`Reply`; every request is recorded. A reply is a
JSON body (any status) or a stream of server-sent events, which may stop at a gate until the test
opens it (proof that what came before reached the client first) or drop the connection mid-way
(the HTTP body left unfinished, as when a connection is reset). The vendor's wire format lives in
subclasses (``fake_gemini``, ``fake_openai``).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GATE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass
class Reply:
    """What the fake answers one request with: ``body`` as JSON, or ``events`` as a stream."""

    status: int = 200
    body: Any = None
    events: tuple[Any, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # Streams: hold events from this index on until ``gate`` is set (or GATE_TIMEOUT passes).
    gate_at: int | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    gate_timed_out: bool = False
    # Streams: close the connection after the events, without finishing the HTTP body.
    drop: bool = False
    # How many requests this reply answers (a client that retries asks again).
    times: int = 1


class FakeServer:
    """The server; subclasses say which paths exist and how replies are framed."""

    content_type = "application/json"

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def script(self, *replies: Reply) -> None:
        """Forget earlier requests and answer the next ones with ``replies``, in order."""
        with self._lock:
            self.requests.clear()
            self._replies = deque(replies)

    def next_reply(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            if not self._replies:
                return self.unscripted(request)
            reply = self._replies[0]
            reply.times -= 1
            if reply.times <= 0:
                self._replies.popleft()
            return reply

    # --- what subclasses define -----------------------------------------------------------

    def is_stream(self, request: Recorded) -> bool:
        raise NotImplementedError

    def knows(self, request: Recorded) -> bool:
        """Whether the request is for an endpoint the fake serves."""
        raise NotImplementedError

    def frame(self, event: Any) -> bytes:
        """One stream event as bytes on the wire."""
        return f"data: {json.dumps(event)}\n\n".encode()

    def end_of_stream(self, request: Recorded) -> bytes:
        return b""

    def unscripted(self, request: Recorded) -> Reply:
        return Reply(
            status=500,
            body={"error": {"message": f"fake: no reply scripted for {request.path}"}},
        )

    def not_found(self, request: Recorded) -> Reply:
        return Reply(status=404, body={"error": {"message": f"fake: no route {request.path}"}})


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            if not server.knows(request):
                self._send_body(server.not_found(request))
                return
            reply = server.next_reply(request)
            if reply.status == 200 and server.is_stream(request):
                self._send_stream(reply, request)
            else:
                self._send_body(reply)

        def _send_body(self, reply: Reply) -> None:
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, reply: Reply, request: Recorded) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            for index, event in enumerate(reply.events):
                if index == reply.gate_at and not reply.gate.wait(GATE_TIMEOUT):
                    reply.gate_timed_out = True
                self._chunk(server.frame(event))
            if reply.drop:
                # Close the connection: the client sees the body end without its last chunk.
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            tail = server.end_of_stream(request)
            if tail:
                self._chunk(tail)
            self.wfile.write(b"0\r\n\r\n")

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler

"""A pass-through HTTP proxy that records what Open WebUI sends to our proxy.

It sits between the two on loopback, forwards every request unchanged and streams every response
back chunk by chunk, so the tests can assert on the requests themselves (headers, tools,
background tasks) rather than on log lines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.endswith("/chat/completions")

    @property
    def is_background_task(self) -> bool:
        """Open WebUI's title, tag and follow-up requests (docs/conversations.md)."""
        messages = (self.body or {}).get("messages") or []
        return (
            self.is_chat
            and len(messages) == 1
            and str(messages[0].get("content", "")).startswith("### Task:")
        )


class Recorder:
    """Forwards ``http://127.0.0.1:<port>/...`` to ``upstream`` and remembers each request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[Recorded] = []
        self._recorded = threading.Condition()  # guards ``requests``; notified on each new one
        self._client = httpx.Client(timeout=httpx.Timeout(None, connect=10))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def chats(self) -> list[Recorded]:
        with self._recorded:
            return [r for r in self.requests if r.is_chat]

    def wait_for_chats(self, found: Callable[[list[Recorded]], T], timeout: float) -> T | None:
        """``found(chat requests)`` once it is truthy, checked as each request is recorded;
        its last (falsy) value after ``timeout`` seconds."""
        with self._recorded:
            return self._recorded.wait_for(
                lambda: found([r for r in self.requests if r.is_chat]), timeout
            )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with recorder._recorded:
                    recorder.requests.append(
                        Recorded(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in headers.items()},
                            body,
                        )
                    )
                    recorder._recorded.notify_all()
                request = recorder._client.build_request(
                    self.command,
                    recorder.upstream + self.path,
                    headers={**headers, "accept-encoding": "identity"},
                    content=raw,
                )
                upstream = recorder._client.send(request, stream=True)
                try:
                    self.send_response(upstream.status_code)
                    for name, value in upstream.headers.items():
                        if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                            self.send_header(name, value)
                    # HTTP/1.0 without a length: the body ends when the connection closes.
                    self.send_header("connection", "close")
                    self.end_headers()
                    for chunk in upstream.iter_raw():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        return Handler

"""A fake Jira REST API on loopback: the server info the ``jira`` client reads when it connects,
and issues by key. Records the requests it got (method, path, Authorization header)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVER_INFO = {
    "baseUrl": "",
    "version": "9.12.0",
    "versionNumbers": [9, 12, 0],
    "deploymentType": "Server",
    "buildNumber": 9120000,
    "serverTitle": "fake Jira",
}


@dataclass
class FakeJira:
    url: str
    issues: dict[str, dict[str, Any]]
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)


def issue(key: str, summary: str) -> dict[str, Any]:
    """An issue as Jira's REST API v2 returns it (the fields Agno's JiraTools reads)."""
    return {
        "id": "10001",
        "key": key,
        "self": f"/rest/api/2/issue/{key}",
        "fields": {
            "project": {"key": key.split("-")[0], "name": "Release"},
            "issuetype": {"name": "Bug"},
            "reporter": {"displayName": "Ada"},
            "summary": summary,
            "description": "",
        },
    }


@contextmanager
def running_fake_jira(issues: dict[str, dict[str, Any]]) -> Iterator[FakeJira]:
    """A fake Jira serving ``issues`` on 127.0.0.1 until the block ends."""
    fake: FakeJira

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            fake.requests.append(("GET", path, self.headers.get("Authorization")))
            if path.endswith("/serverInfo"):
                self._send(200, {**SERVER_INFO, "baseUrl": fake.url})
            elif path.startswith("/rest/api/2/issue/") and path.rsplit("/", 1)[1] in fake.issues:
                self._send(200, fake.issues[path.rsplit("/", 1)[1]])
            else:
                self._send(404, {"errorMessages": ["Issue Does Not Exist"], "errors": {}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeJira(f"http://127.0.0.1:{server.server_address[1]}", issues)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

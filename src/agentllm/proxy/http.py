"""The HTTP/1.1 protocol the server runs: uvicorn's h11 one, answering malformed HTTP in JSON.

uvicorn answers a request that h11 cannot parse (a Content-Length that is not a number or is
given twice, broken chunked framing, bytes that are not HTTP, headers past the server's buffer)
with a plain-text 400 before any ASGI app runs. This protocol sends the same 400 with an
OpenAI-format error body, so that every 4xx a client meets is JSON; everything else is uvicorn's.
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from agentllm.proxy.errors import error_body

MALFORMED = (
    "the request is not valid HTTP/1.1: check Content-Length, Transfer-Encoding and the header "
    "syntax (headers are limited to 1 MiB in all)"
)


class JSONErrorsH11Protocol(H11Protocol):
    """uvicorn's h11 protocol whose answer to a malformed request is a JSON 400."""

    def send_400_response(self, msg: str) -> None:
        body = error_body(MALFORMED)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()

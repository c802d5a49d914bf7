"""The HTTP/1.1 protocol the server runs: uvicorn's h11 one, answering malformed HTTP in JSON.

uvicorn answers a request that h11 cannot parse (a Content-Length that is not a number or is
given twice, broken chunked framing, bytes that are not HTTP, headers past the server's buffer)
with a plain-text 400 before any ASGI app runs. This protocol sends the same 400 with an
OpenAI-format error body, so that every 4xx a client meets is JSON; everything else is uvicorn's.
How it hooks into uvicorn is in ``agentllm.compat.uvicorn``.
"""

from __future__ import annotations

from agentllm.compat.uvicorn import JSON400H11Protocol
from agentllm.proxy.errors import error_body

MALFORMED = (
    "the request is not valid HTTP/1.1: check Content-Length, Transfer-Encoding and the header "
    "syntax (headers are limited to 1 MiB in all)"
)


class JSONErrorsH11Protocol(JSON400H11Protocol):
    """uvicorn's h11 protocol whose answer to a malformed request is a JSON 400."""

    BAD_REQUEST_BODY = error_body(MALFORMED)

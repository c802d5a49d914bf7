"""ASGI middleware answering what the stock LiteLLM proxy mishandles before our provider runs.

Measured on LiteLLM 1.108.7: a JSON body that is not an object (e.g. an array) gets a 500; so do
malformed messages on each chat endpoint (``agentllm.proxy.checks``), a ``metadata`` that is not
an object next to a ``model`` that is not a string (a plain-text 500), and headers past the HTTP
server's buffer (a dropped connection). The guard answers all of these, with a 4xx in the
endpoint's error format, before LiteLLM sees the request:

- headers larger than ``MAX_HEADER_BYTES`` in all: 431;
- a request body with a ``Content-Encoding`` (gzip, ...) or a form content type: 415 (LiteLLM
  would read the bytes as they are, or as a form);
- bodies over the size limit: 413; bodies that are not UTF-8 JSON objects within the nesting
  limit, or that break their endpoint's schema: 400.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from agentllm.compat.litellm import set_parsed_body
from agentllm.config import DEFAULT_MAX_BODY_BYTES
from agentllm.provider.types import RequestError
from agentllm.proxy.checks import CHECKS
from agentllm.proxy.errors import error_body

log = logging.getLogger("agentllm.guard")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# All request headers together (names and values). Real requests stay far below it. The HTTP
# server reads headers up to agentllm.server.MAX_HEADER_BUFFER_BYTES (h11's default, 16 KiB,
# dropped the connection of a larger request), so that in between a client gets this 431.
MAX_HEADER_BYTES = 32 * 1024
# Deeper JSON is refused: Python's parser fails past ~1,000 levels (a 500 from LiteLLM), and
# copies of the request inside LiteLLM recurse over it. Real requests (tool schemas included)
# stay far below this; 200 levels still passed through LiteLLM 1.108.7 here.
MAX_NESTING = 100
GUARDED_SUFFIXES = ("/chat/completions", "/completions", "/responses", "/messages", "/embeddings")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def endpoint_of(path: str) -> str | None:
    """Which chat endpoint ``path`` is (a key of ``CHECKS``), or ``None``.

    ``/responses`` and ``/messages`` count only as LiteLLM's own routes (``/v1/messages``, not
    ``/v1/threads/{id}/messages``, which has another schema).
    """
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "/chat/completions"
    for endpoint in ("/responses", "/messages"):
        if path == endpoint or path.endswith(f"/v1{endpoint}"):
            return endpoint
    return None


def nesting(value: Any) -> int:
    """How many arrays and objects deep ``value`` goes (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def read_body(body: bytes, endpoint: str | None = None) -> dict[str, Any] | RequestError:
    """``body`` parsed, or why it cannot be a request (to ``endpoint``, a key of ``CHECKS``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RequestError(f"request body is not valid UTF-8 (byte {exc.start})")
    too_deep = RequestError(f"request body is nested more than {MAX_NESTING} levels deep")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return RequestError(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except RecursionError:
        return too_deep
    if nesting(value) > MAX_NESTING:
        return too_deep
    if not isinstance(value, dict):
        return RequestError(
            f"request body must be a JSON object, not a JSON {type(value).__name__}"
        )
    check = CHECKS.get(endpoint) if endpoint is not None else None
    problem = check(value) if check is not None else None
    return value if problem is None else problem


def check_body(body: bytes, endpoint: str | None = None) -> RequestError | None:
    """Why ``body`` cannot be a request (to ``endpoint``, a key of ``CHECKS``), or ``None``."""
    value = read_body(body, endpoint)
    return value if isinstance(value, RequestError) else None


def _lone_surrogate(body: bytes) -> bool:
    """Whether ``body`` may escape a UTF-16 surrogate (``\\ud800``): Python's parser accepts a
    lone one, LiteLLM's (orjson, then a repair) refuses it with its own 400, which it keeps."""
    return LONE_SURROGATE.search(body) is not None


def header_bytes(scope: Scope) -> int:
    """The size of the request's headers, names and values."""
    return sum(len(name) + len(value) for name, value in scope.get("headers") or ())


def _header(scope: Scope, name: bytes) -> str:
    """A request header's value(s), comma-joined, lower-cased, as text."""
    values = [v for n, v in scope.get("headers") or () if n.lower() == name]
    return b",".join(values).decode("latin-1").strip().lower()


def check_encoding(scope: Scope) -> str | None:
    """Why the request's ``Content-Encoding`` keeps its body from being read as JSON."""
    encoding = _header(scope, b"content-encoding")
    if encoding in ("", "identity"):
        return None
    return (
        f"Content-Encoding {encoding[:40]!r} is not supported: send the request body "
        "uncompressed, without Content-Encoding"
    )


def check_media_type(scope: Scope) -> str | None:
    """Why the request's ``Content-Type`` would make LiteLLM read its body as a form."""
    media_type = _header(scope, b"content-type").split(";")[0].strip()
    if media_type not in FORM_TYPES:
        return None
    return (
        f"Content-Type {media_type!r} is not supported: send a JSON body with "
        "Content-Type: application/json"
    )


class RequestGuard:
    """Refuse oversized headers on every request and validate POST bodies of the completion
    endpoints; pass everything else through untouched.

    ``max_body_bytes`` is the body limit: ``settings().max_body_bytes`` (AGENTLLM_MAX_BODY_BYTES).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        endpoint = endpoint_of(path)
        size = header_bytes(scope)
        if size > MAX_HEADER_BYTES:
            too_large = f"request headers are {size} bytes; at most {MAX_HEADER_BYTES} are accepted"
            await _refuse(send, path, 431, too_large, endpoint)
            return
        if scope.get("method") != "POST" or not path.rstrip("/").endswith(GUARDED_SUFFIXES):
            await self.app(scope, receive, send)
            return
        if (unreadable := check_encoding(scope)) is not None:
            # RFC 9110: a 415 for a content coding says which codings are accepted.
            accepted = [(b"accept-encoding", b"identity")]
            await _refuse(send, path, 415, unreadable, endpoint, accepted)
            return
        if (unreadable := check_media_type(scope)) is not None:
            await _refuse(send, path, 415, unreadable, endpoint)
            return
        limit = self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                too_large = (
                    f"request body is larger than the limit of {limit} bytes "
                    "(AGENTLLM_MAX_BODY_BYTES)"
                )
                await _refuse(send, path, 413, too_large, endpoint)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        value = read_body(body, endpoint)
        if isinstance(value, RequestError):
            await _refuse(send, path, 400, value.message, endpoint, param=value.param)
            return
        if not _lone_surrogate(body):
            set_parsed_body(scope, value)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(
    send: Send,
    path: str,
    status: int,
    problem: str,
    endpoint: str | None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
    param: str | None = None,
) -> None:
    """Answer with an error in the endpoint's format (``param`` naming the field), and log why."""
    log.info("rejected request to %s: %s", path, problem)
    body = error_body(problem, param=param, code=status, endpoint=endpoint)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += extra_headers or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

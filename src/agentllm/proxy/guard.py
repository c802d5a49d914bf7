"""ASGI middleware answering what the stock LiteLLM proxy mishandles before our provider runs.

Measured on LiteLLM 1.108.7: a JSON body that is not an object (e.g. an array) gets a 500, and so
does a user message with a content part of a type LiteLLM does not know (or without a type). The
guard reads JSON request bodies once, checks that they are UTF-8 JSON objects within the size
and nesting limits, and answers anything else with an OpenAI-format 400 (or 413) before LiteLLM
sees it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from litellm.types.llms.openai import ValidUserMessageContentTypes

log = logging.getLogger("agentllm.guard")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# Deeper JSON is refused: Python's parser fails past ~1,000 levels (a 500 from LiteLLM), and
# copies of the request inside LiteLLM recurse over it. Real requests (tool schemas included)
# stay far below this; 200 levels still passed through LiteLLM 1.108.7 here.
MAX_NESTING = 100
GUARDED_SUFFIXES = ("/chat/completions", "/completions", "/responses", "/messages", "/embeddings")


def max_body_bytes() -> int:
    """The request body limit: ``AGENTLLM_MAX_BODY_BYTES`` or 8 MiB."""
    raw = os.environ.get("AGENTLLM_MAX_BODY_BYTES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BODY_BYTES


def error_body(
    message: str, kind: str = "invalid_request_error", param: str | None = None, code: int = 400
) -> bytes:
    """An OpenAI-format error body."""
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": param, "code": str(code)}}
    ).encode()


def check_chat_request(value: dict[str, Any]) -> str | None:
    """Why a chat body breaks the OpenAI schema where LiteLLM would crash, or ``None``."""
    model = value.get("model")
    if not isinstance(model, str) or not model.strip():
        return "'model' is required and must be a non-empty string"
    for name in ("metadata", "response_format"):
        if value.get(name) is not None and not isinstance(value[name], dict):
            return f"{name!r} must be an object"
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list of messages"
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return f"{where} must be an object with 'role' and 'content'"
        role = message.get("role")
        if not isinstance(role, str) or not role:
            return f"{where}.role is required and must be a string"
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not (
            isinstance(tool_calls, list) and all(isinstance(c, dict) for c in tool_calls)
        ):
            return f"{where}.tool_calls must be a list of objects"
        for name in ("name", "tool_call_id"):
            if message.get(name) is not None and not isinstance(message[name], str):
                return f"{where}.{name} must be a string"
        content = message.get("content")
        if content is None:
            if role in ("user", "system", "developer"):
                return f"{where}.content must not be null for role {role!r}"
        elif isinstance(content, list):
            for part_index, part in enumerate(content):
                at = f"{where}.content[{part_index}]"
                if not isinstance(part, dict) or not isinstance(part.get("type", "text"), str):
                    return f"{at} must be an object with a 'type'"
                if role == "user" and part.get("type") not in ValidUserMessageContentTypes:
                    return (
                        f"{at}.type {part.get('type')!r} is not a content part type; use one of "
                        f"{', '.join(ValidUserMessageContentTypes)}"
                    )
        elif not isinstance(content, str):
            return f"{where}.content must be a string or a list of content parts"
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


def check_body(body: bytes, chat: bool = False) -> str | None:
    """Why ``body`` cannot be a request, or ``None`` when it is a (valid chat) JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"request body is not valid UTF-8 (byte {exc.start})"
    too_deep = f"request body is nested more than {MAX_NESTING} levels deep"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return too_deep
    if nesting(value) > MAX_NESTING:
        return too_deep
    if not isinstance(value, dict):
        return f"request body must be a JSON object, not a JSON {type(value).__name__}"
    return check_chat_request(value) if chat else None


class RequestGuard:
    """Validate POST bodies of the completion endpoints; pass everything else through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not scope.get("path", "").rstrip("/").endswith(GUARDED_SUFFIXES)
        ):
            await self.app(scope, receive, send)
            return
        limit = max_body_bytes()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reply(
                    send,
                    413,
                    error_body(
                        f"request body is larger than the limit of {limit} bytes "
                        "(AGENTLLM_MAX_BODY_BYTES)",
                        code=413,
                    ),
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        chat = scope.get("path", "").rstrip("/").endswith("/chat/completions")
        problem = check_body(body, chat=chat)
        if problem is not None:
            log.info("rejected request to %s: %s", scope.get("path"), problem)
            await _reply(send, 400, error_body(problem))
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reply(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

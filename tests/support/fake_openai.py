"""A fake OpenAI-compatible chat completions server (what Ollama, vLLM and similar serve),
scripted per test.

It serves ``POST {base}/chat/completions`` under any base path: streams as
``chat.completion.chunk`` events ending in ``data: [DONE]`` (the usage in a last chunk without
choices when ``stream_options.include_usage`` asks for it), whole answers as ``chat.completion``,
errors with OpenAI's ``{"error": {"message", "type", "param", "code"}}`` bodies.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import replace
from typing import Any

from tests.support.fake_server import FakeServer, Recorded, Reply

MODEL = "llama3.2"


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _reply(
    deltas: list[dict[str, Any]], message: dict[str, Any], finish: str, usage: dict[str, int]
) -> Reply:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk(d) for d in deltas]
    events.append(_chunk({}, finish))
    events.append({**_chunk({}), "choices": [], "usage": usage})
    whole = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }
    return Reply(events=tuple(events), body=whole)


def answer(*pieces: str, prompt: int = 15, completion: int = 5, finish: str = "stop") -> Reply:
    """The model's answer, one content delta per piece."""
    return _reply(
        [{"content": p} for p in pieces],
        {"role": "assistant", "content": "".join(pieces)},
        finish,
        _usage(prompt, completion),
    )


def cut_off(*pieces: str) -> Reply:
    """An answer stopped by ``max_tokens``."""
    return answer(*pieces, finish="length")


def tool_call(name: str, args: dict[str, Any], prompt: int = 15, completion: int = 3) -> Reply:
    """The model asks for a tool call (its arguments streamed in two pieces, as servers do)."""
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    arguments = json.dumps(args)
    half = len(arguments) // 2
    deltas = [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments[:half]},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]},
    ]
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        ],
    }
    return _reply(deltas, message, "tool_calls", _usage(prompt, completion))


RETRY_SECONDS = 20
# OpenAI's error bodies, by what went wrong.
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "bad_key": (
        401,
        {
            "message": "Incorrect API key provided: sk-wrong*********7890. You can find your API "
            "key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        },
    ),
    "rate_limited": (
        429,
        {
            "message": f"Rate limit reached for {MODEL} in organization org-fake on requests per "
            f"min (RPM): Limit 3, Used 3, Requested 1. Please try again in {RETRY_SECONDS}s. "
            "Visit https://platform.openai.com/account/rate-limits to learn more.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        },
    ),
    "bad_request": (
        400,
        {
            "message": "max_tokens is too large: 100000. This model supports at most 4096 "
            "completion tokens, whereas you provided 100000.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": None,
        },
    ),
    "internal": (
        500,
        {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        },
    ),
    "overloaded": (
        503,
        {
            "message": "The engine is currently overloaded, please try again later.",
            "type": "server_error",
            "param": None,
            "code": None,
        },
    ),
}


def error(kind: str, times: int = 1) -> Reply:
    """The HTTP error the server answers with when ``kind`` (a key of ``ERRORS``) goes wrong."""
    status, body = ERRORS[kind]
    return Reply(status=status, body={"error": copy.deepcopy(body)}, times=times)


class FakeOpenAI(FakeServer):
    """An OpenAI-compatible chat completions server."""

    def knows(self, request: Recorded) -> bool:
        return request.method == "POST" and request.path.endswith("/chat/completions")

    def is_stream(self, request: Recorded) -> bool:
        return bool(isinstance(request.body, dict) and request.body.get("stream"))

    def end_of_stream(self, request: Recorded) -> bytes:
        return b"data: [DONE]\n\n"

    def next_reply(self, request: Recorded) -> Reply:
        reply = super().next_reply(request)
        options = request.body.get("stream_options") or {}
        if reply.events and not options.get("include_usage"):
            return replace(reply, events=tuple(e for e in reply.events if e["choices"]))
        return reply


def tool_results(request: Recorded) -> list[dict[str, Any]]:
    """The tool messages the request sent back."""
    return [m for m in request.body.get("messages", []) if m.get("role") == "tool"]

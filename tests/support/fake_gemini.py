"""A fake of the Gemini REST API (Google AI Studio), scripted per test.

It serves ``POST {base}/models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse`` under any base path, so both clients reach it:
google-genai (Agno's ``Gemini``) and LiteLLM's ``gemini/...`` models, each pointed at
``GEMINI_API_BASE`` = ``{fake.url}/v1beta``. Streams are framed like the real API
(``data: {json}`` events separated by ``\\r\\n\\r\\n``, usage in every chunk, the finish reason in
the last); errors carry the real ``{"error": {"code", "message", "status", "details"}}`` bodies.

Replies are built by the functions below; each stream reply also answers a non-streaming request
(its chunks merged into one response).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.fake_server import FakeServer, Recorded, Reply

MODEL = "gemini-2.5-flash"
# What a thinking model attaches to a function call; it must come back with the call.
SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS10aG91Z2h0"


@dataclass(frozen=True)
class Usage:
    """Token counts as Gemini reports them (thoughts are not part of the candidates' count)."""

    prompt: int = 20
    candidates: int = 6
    thoughts: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.candidates + self.thoughts

    def metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "promptTokenCount": self.prompt,
            "candidatesTokenCount": self.candidates,
            "totalTokenCount": self.total,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt}],
        }
        if self.thoughts:
            found["thoughtsTokenCount"] = self.thoughts
        return found

    def so_far(self) -> dict[str, Any]:
        """What the chunks before the last carry: the prompt, and thoughts once spent."""
        found: dict[str, Any] = {
            "promptTokenCount": self.prompt,
            "totalTokenCount": self.prompt + self.thoughts,
        }
        if self.thoughts:
            found["thoughtsTokenCount"] = self.thoughts
        return found


def _chunk(
    parts: list[dict] | None,
    usage: dict[str, Any],
    finish: str | None = None,
    response_id: str = "",
    **candidate: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": 0, **candidate}
    if parts is not None:
        entry["content"] = {"parts": parts, "role": "model"}
    if finish:
        entry["finishReason"] = finish
    return {
        "candidates": [entry],
        "usageMetadata": usage,
        "modelVersion": MODEL,
        "responseId": response_id,
    }


def _stream(parts: list[dict], usage: Usage, finish: str = "STOP", **last: Any) -> Reply:
    """One chunk per part; the last part's chunk carries the finish reason and the usage."""
    response_id = uuid.uuid4().hex[:22]
    events = [_chunk([p], usage.so_far(), response_id=response_id) for p in parts[:-1]]
    last_parts = parts[-1:] or None
    events.append(_chunk(last_parts, usage.metadata(), finish, response_id, **last))
    return Reply(events=tuple(events))


def answer(*pieces: str, thoughts: tuple[str, ...] = (), usage: Usage | None = None) -> Reply:
    """The model's answer, one text part per piece (after its thoughts, if any)."""
    usage = usage or Usage(thoughts=7 if thoughts else 0)
    parts = [{"text": t, "thought": True} for t in thoughts] + [{"text": p} for p in pieces]
    return _stream(parts, usage)


def cut_off(*pieces: str, usage: Usage | None = None) -> Reply:
    """An answer stopped by ``maxOutputTokens``."""
    return _stream([{"text": p} for p in pieces], usage or Usage(), finish="MAX_TOKENS")


def function_call(name: str, args: dict[str, Any], usage: Usage | None = None) -> Reply:
    """The model asks for a function call (with a thought signature, as thinking models do)."""
    part = {"functionCall": {"name": name, "args": args}, "thoughtSignature": SIGNATURE}
    return _stream([part], usage or Usage(candidates=4))


SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
]


def blocked_prompt(usage: Usage | None = None) -> Reply:
    """The prompt itself is blocked: no candidates, ``promptFeedback.blockReason``."""
    usage = usage or Usage(candidates=0)
    body = {
        "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": SAFETY_RATINGS},
        "usageMetadata": {"promptTokenCount": usage.prompt, "totalTokenCount": usage.prompt},
        "modelVersion": MODEL,
        "responseId": uuid.uuid4().hex[:22],
    }
    return Reply(events=(body,))


def blocked_answer(usage: Usage | None = None) -> Reply:
    """The answer is blocked: a candidate with ``finishReason`` SAFETY and no content."""
    return _stream([], usage or Usage(candidates=0), finish="SAFETY", safetyRatings=SAFETY_RATINGS)


def dropped(*pieces: str) -> Reply:
    """A stream that loses its connection after ``pieces``, before the finishing chunk."""
    usage = Usage()
    events = tuple(_chunk([{"text": p}], usage.so_far()) for p in pieces)
    return Reply(events=events, drop=True)


# Real Gemini error bodies (Google AI Studio, v1beta), by what went wrong.
RETRY_SECONDS = 37
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "bad_request": (
        400,
        {
            "code": 400,
            "message": "* GenerateContentRequest.generation_config.max_output_tokens: "
            "max_output_tokens must be positive.\n",
            "status": "INVALID_ARGUMENT",
        },
    ),
    "bad_key": (
        400,
        {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        },
    ),
    "unauthenticated": (
        401,
        {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ],
        },
    ),
    "permission_denied": (
        403,
        {
            "code": 403,
            "message": "Your API key was reported as leaked. Please use another API key.",
            "status": "PERMISSION_DENIED",
        },
    ),
    "rate_limited": (
        429,
        {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing "
            "details. For more information on this error, head to: "
            "https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: "
            "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, "
            f"model: {MODEL}\nPlease retry in {RETRY_SECONDS}.480741455s.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                            "quotaDimensions": {"location": "global", "model": MODEL},
                            "quotaValue": "10",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Learn more about Gemini API quotas",
                            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{RETRY_SECONDS}s",
                },
            ],
        },
    ),
    "internal": (
        500,
        {
            "code": 500,
            "message": "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
            "status": "INTERNAL",
        },
    ),
    "overloaded": (
        503,
        {
            "code": 503,
            "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE",
        },
    ),
}


def error(kind: str, times: int = 1) -> Reply:
    """The HTTP error Gemini answers with when ``kind`` (a key of ``ERRORS``) goes wrong."""
    status, body = ERRORS[kind]
    return Reply(status=status, body={"error": copy.deepcopy(body)}, times=times)


def _merged(events: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """A stream's chunks as the one response ``generateContent`` gives."""
    whole = dict(events[-1])
    parts: list[dict[str, Any]] = []
    for event in events:
        for candidate in event.get("candidates", [])[:1]:
            for part in candidate.get("content", {}).get("parts", []):
                last = parts[-1] if parts else None
                joinable = (
                    last is not None
                    and "text" in part
                    and "text" in last
                    and bool(part.get("thought")) == bool(last.get("thought"))
                )
                if joinable and last is not None:
                    last["text"] += part["text"]
                else:
                    parts.append(dict(part))
    if "candidates" in whole:
        candidate = dict(whole["candidates"][0])
        if parts:
            candidate["content"] = {"parts": parts, "role": "model"}
        whole["candidates"] = [candidate]
    return whole


class FakeGemini(FakeServer):
    """The Gemini API; its requests are read with the helpers below."""

    def knows(self, request: Recorded) -> bool:
        return request.method == "POST" and "/models/" in request.path and ":" in request.path

    def is_stream(self, request: Recorded) -> bool:
        return request.path.endswith(":streamGenerateContent")

    def frame(self, event: Any) -> bytes:
        return f"data: {json.dumps(event)}\r\n\r\n".encode()

    def next_reply(self, request: Recorded) -> Reply:
        reply = super().next_reply(request)
        if reply.status == 200 and not self.is_stream(request) and reply.events:
            return Reply(body=_merged(reply.events), headers=reply.headers)
        return reply

    def unscripted(self, request: Recorded) -> Reply:
        return Reply(
            status=500,
            body={
                "error": {
                    "code": 500,
                    "message": f"fake Gemini: no reply scripted for {request.path}",
                    "status": "INTERNAL",
                }
            },
        )


# --- reading what the clients sent -------------------------------------------------------------


def parts_of(request: Recorded) -> list[dict[str, Any]]:
    """Every part of every content the request sent, oldest first."""
    return [p for c in request.body.get("contents", []) for p in c.get("parts", [])]


def function_responses(request: Recorded) -> list[dict[str, Any]]:
    """The function results the request sent back (either spelling of the field)."""
    found = []
    for part in parts_of(request):
        response = part.get("functionResponse") or part.get("function_response")
        if response:
            found.append(response)
    return found


def function_calls(request: Recorded) -> list[dict[str, Any]]:
    """The model's earlier function calls, as the request replays them (with their parts)."""
    return [p for p in parts_of(request) if p.get("functionCall") or p.get("function_call")]


def generation_config(request: Recorded) -> dict[str, Any]:
    """The request's generation config, its keys in camelCase (clients send either spelling)."""
    body = request.body
    config = body.get("generationConfig") or body.get("generation_config") or {}
    return {_camel(key): value for key, value in config.items()}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)

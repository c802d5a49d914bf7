"""A model vendor's HTTP error: what it said, carried through Agno intact, and what a client is
told (the OpenAI status and what to do about it).

Agno reports a failed agent run as an event that keeps only the exception's message, so the
vendor's HTTP status would be lost on the way to ``error_for``. Our model classes therefore raise
errors whose message is an encoded ``UpstreamError`` (``encode``/``decode``). LiteLLM's own Gemini
entries quote Gemini's error body inside their exception messages; ``gemini_error_in`` finds it.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

MARKER = "upstream error: "
GEMINI = "Gemini"
GEMINI_KEY = "GEMINI_API_KEY"
# Reasons (google.rpc.ErrorInfo) that say the key is what is wrong, whatever the status.
KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})


@dataclass(frozen=True)
class UpstreamError:
    """An HTTP error a model vendor answered with."""

    provider: str  # who answered: "Gemini"
    key_variable: str  # the setting that holds the key for it
    status: int  # the vendor's HTTP status
    message: str  # the vendor's own words
    reason: str = ""  # the vendor's error code: RESOURCE_EXHAUSTED, API_KEY_INVALID, ...
    retry_after: int | None = None  # whole seconds the vendor asks to wait

    def encode(self) -> str:
        """This error as an exception message ``decode`` reads back."""
        return MARKER + json.dumps(asdict(self))

    @classmethod
    def decode(cls, text: str) -> UpstreamError | None:
        """The error ``encode`` wrote into ``text``, if it is one."""
        if not text.startswith(MARKER):
            return None
        try:
            return cls(**json.loads(text[len(MARKER) :]))
        except (ValueError, TypeError):
            return None


def _seconds(delay: Any) -> int | None:
    """A protobuf duration (``"37s"``, ``"36.2s"``) in whole seconds, rounded up."""
    if not isinstance(delay, str) or not delay.endswith("s"):
        return None
    try:
        return max(1, math.ceil(float(delay[:-1])))
    except ValueError:
        return None


def from_gemini_body(body: Any, status: int | None = None) -> UpstreamError | None:
    """Gemini's error body, ``{"error": {"code", "message", "status", "details"}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = status or error.get("code")
    if not isinstance(code, int):
        return None
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    reasons = [str(d["reason"]) for d in details if d.get("reason")]
    delays = [_seconds(d.get("retryDelay")) for d in details if "retryDelay" in d]
    return UpstreamError(
        provider=GEMINI,
        key_variable=GEMINI_KEY,
        status=code,
        message=str(error.get("message") or ""),
        reason=reasons[0] if reasons else str(error.get("status") or ""),
        retry_after=next((d for d in delays if d), None),
    )


def _texts(text: str) -> Iterator[str]:
    """``text``, then any ``b'...'`` literal in it decoded (how LiteLLM quotes a raw body)."""
    yield text
    for match in re.finditer(r"b['\"]\{", text):
        try:
            token = next(tokenize.generate_tokens(io.StringIO(text[match.start() :]).readline))
            value = ast.literal_eval(token.string)
        except (tokenize.TokenError, SyntaxError, ValueError, StopIteration):
            continue
        if isinstance(value, bytes):
            yield value.decode(errors="replace")


def gemini_error_in(text: str) -> UpstreamError | None:
    """The first Gemini error body quoted in ``text``."""
    decoder = json.JSONDecoder()
    for candidate in _texts(text):
        for match in re.finditer(r'\{\s*"error"', candidate):
            try:
                body, _ = decoder.raw_decode(candidate, match.start())
            except ValueError:
                continue
            found = from_gemini_body(body)
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class ClientReply:
    """What the client gets: an OpenAI-style status and a message that says what to do."""

    status: int
    message: str
    retry_after: int | None = None


def for_client(error: UpstreamError) -> ClientReply:
    """The status a client of an OpenAI API expects for ``error``, and what it should do."""
    reason = f" {error.reason}" if error.reason else ""
    said = f"{error.provider} answered {error.status}{reason}: {error.message.strip()}"
    key = error.key_variable
    if error.status == 401 or error.reason in KEY_REASONS:
        return ClientReply(401, f"{said} — check {key} and restart the proxy")
    if error.status == 403:
        return ClientReply(
            403, f"{said} — check {key}: the key may be revoked or not allowed this model"
        )
    if error.status == 429:
        when = f"retry after {error.retry_after} s" if error.retry_after else "retry later"
        return ClientReply(429, f"{said} — {when}", error.retry_after)
    if error.status in (400, 413, 422):
        return ClientReply(400, f"{said} — change the request and send it again")
    if error.status in (408, 504):
        return ClientReply(504, f"{said} — the model took too long; retry the message")
    if error.status == 503:
        return ClientReply(503, f"{said} — {error.provider} is unavailable; retry in a moment")
    return ClientReply(502, f"{said} — retry the message; if it keeps failing, see the proxy log")

"""A model vendor's HTTP error: what it said, carried through Agno as a value, and what a client
is told (the OpenAI status and what to do about it).

Agno reports a failed run as an event that keeps only ``str()`` of the model's exception, so our
model classes leave the ``UpstreamError`` in ``CARRIED`` and raise an exception whose message
ends with the token it is kept under; ``run_failure`` (provider/errors.py) looks the token up.
See docs/gemini.md.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

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

    def __str__(self) -> str:
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.provider} answered {self.status}{reason}: {self.message.strip()}"


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


TOKEN_LENGTH = len("[upstream-error 0123456789abcdef]")


class Carried:
    """Upstream errors on their way through Agno, each kept under a unique token that ends the
    message of the exception raised for it (Agno's error events keep that message exactly, or
    end with it when a workflow step wraps it). The newest ``limit`` are kept: one whose run
    never reports it (a retried attempt, a team member's failure the leader handled) is dropped
    in time."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._errors: OrderedDict[str, UpstreamError] = OrderedDict()
        self._lock = threading.Lock()  # models also fail in Agno's threads (sync runs, steps)

    def message(self, error: UpstreamError) -> str:
        """Keep ``error``; the message for the exception raised for it."""
        token = f"[upstream-error {secrets.token_hex(8)}]"
        with self._lock:
            self._errors[token] = error
            while len(self._errors) > self.limit:
                self._errors.popitem(last=False)
        return f"{error} {token}"

    def find(self, message: str) -> UpstreamError | None:
        """The error kept under the token ``message`` ends with, if any."""
        with self._lock:
            return self._errors.get(message[-TOKEN_LENGTH:])


CARRIED = Carried()


@dataclass(frozen=True)
class ClientReply:
    """What the client gets: an OpenAI-style status and a message that says what to do."""

    status: int
    message: str
    retry_after: int | None = None


def for_client(error: UpstreamError) -> ClientReply:
    """The status a client of an OpenAI API expects for ``error``, and what it should do."""
    said = str(error)
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

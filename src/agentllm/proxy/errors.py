"""Error bodies the proxy writes itself (LiteLLM writes its own the same way)."""

from __future__ import annotations

import json
from typing import Any

# The endpoint whose clients read Anthropic's error envelope.
ANTHROPIC_ENDPOINT = "/messages"


def error_body(
    message: str,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: int = 400,
    endpoint: str | None = None,
) -> bytes:
    """An OpenAI-format error body; on ``/messages`` inside Anthropic's envelope
    (``{"type": "error", "error": {...}}``), which OpenAI clients read the same way."""
    error: dict[str, Any] = {
        "error": {"message": message, "type": kind, "param": param, "code": str(code)}
    }
    if endpoint == ANTHROPIC_ENDPOINT:
        error = {"type": "error", **error}
    return json.dumps(error).encode()

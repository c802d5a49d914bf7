"""Who is asking and in which conversation: parsed once per request, into one typed value.

Rules (first found wins) are documented in docs/conversations.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentllm.compat.litellm import end_user_id, key_user_id, request_body, request_headers
from agentllm.provider.types import (
    CHAT_ID_HEADER,
    SESSION_ID_HEADER,
    USER_ID_HEADER,
    RequestError,
)

ANONYMOUS = "anonymous"
MAX_ID_LENGTH = 256


@dataclass(frozen=True)
class RequestIdentity:
    """The user a request belongs to and its conversation, if it names one."""

    user_id: str
    chat_id: str | None = None
    # The client sends the whole conversation every turn (Open WebUI does), so a request with no
    # earlier messages is a conversation that starts over (an edited first message), not a
    # "continue from the store" request.
    sends_full_history: bool = False
    # The request came from Open WebUI (its user or chat header, when those are trusted).
    open_webui: bool = False

    def session_id_for(self, agent: str) -> str | None:
        """The Agno session id of this chat with ``agent``, namespaced by user.

        Hashed, so that no user can name (or guess) another user's session, and so that ids of
        any content are safe to store.
        """
        if self.chat_id is None:
            return None
        key = "\x00".join((self.user_id, agent, self.chat_id))
        return f"chat-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _clean(value: Any, what: str) -> str | None:
    """A usable id, ``None`` when absent or blank; ``RequestError`` when malformed."""
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise RequestError(f"{what} must be a string")
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_ID_LENGTH:
        raise RequestError(f"{what} is longer than {MAX_ID_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise RequestError(f"{what} must not contain control characters")
    return text


def parse_identity(
    litellm_params: Mapping[str, Any] | None, trust_openwebui_headers: bool = True
) -> RequestIdentity:
    """The request's user and conversation from its headers, body and API key."""
    headers = request_headers(litellm_params)
    body = request_body(litellm_params)
    body_metadata = body.get("metadata")
    if body_metadata is not None and not isinstance(body_metadata, Mapping):
        raise RequestError("'metadata' must be an object", "metadata")
    body_metadata = body_metadata or {}

    chat_candidates = [
        (
            headers.get(CHAT_ID_HEADER) if trust_openwebui_headers else None,
            "header X-OpenWebUI-Chat-Id",
        ),
        (body_metadata.get("session_id"), "metadata.session_id"),
        (body_metadata.get("chat_id"), "metadata.chat_id"),
        (headers.get(SESSION_ID_HEADER), "header X-Session-Id"),
    ]
    chat_id, chat_source = next(
        ((c, what) for v, what in chat_candidates if (c := _clean(v, what)) is not None),
        (None, None),
    )

    user_candidates = [
        (
            headers.get(USER_ID_HEADER) if trust_openwebui_headers else None,
            "header X-OpenWebUI-User-Id",
        ),
        (body.get("user"), "'user'"),
        (end_user_id(litellm_params), "'user'"),
        (key_user_id(litellm_params), "the API key's user"),
    ]
    user_id = next((u for v, what in user_candidates if (u := _clean(v, what)) is not None), None)
    return RequestIdentity(
        user_id=user_id or ANONYMOUS,
        chat_id=chat_id,
        sends_full_history=chat_source == chat_candidates[0][1],
        open_webui=trust_openwebui_headers
        and (CHAT_ID_HEADER in headers or USER_ID_HEADER in headers),
    )

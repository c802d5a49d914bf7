"""Where ``agentllm chat`` gets its replies: the agents in this process (through LiteLLM's SDK and
the provider, as the proxy runs them) or a running proxy (through the ``openai`` client).

Both send the whole conversation every turn, as OpenAI clients do, and name the conversation with
the ``X-Session-Id`` header (docs/conversations.md), so the agent's stored session continues
across turns and across runs of ``chat --session ID``. Both yield the reply as :class:`Piece`.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncGenerator
from typing import Any, Literal, NamedTuple, Protocol, cast

from agentllm.provider import types
from agentllm.provider.types import SESSION_ID_HEADER


class Piece(NamedTuple):
    """A streamed piece of a reply: its text, or its reasoning."""

    kind: Literal["text", "reasoning"]
    text: str


class ChatError(Exception):
    """A turn failed; the message says why and what to do."""


class ReplyStream(Protocol):
    """One way of asking for a reply to a whole conversation."""

    where: str  # said at start: what answers

    def reply(self, messages: list[dict[str, str]]) -> AsyncGenerator[Piece, None]: ...


def model_name(agent: str) -> str:
    """The model a client asks for: ``agno/<agent>``, or a name that already has a prefix."""
    return agent if "/" in agent else types.model_name(agent)


def _pieces(delta: Any) -> list[Piece]:
    """What one streamed delta carries (reasoning arrives as ``reasoning_content``)."""
    found = []
    reasoning = getattr(delta, "reasoning_content", None)
    if isinstance(reasoning, str) and reasoning:
        found.append(Piece("reasoning", reasoning))
    if delta.content:
        found.append(Piece("text", delta.content))
    return found


class InProcess:
    """The agents in this process: LiteLLM's ``acompletion`` with the provider registered the
    way ``proxy_config.yaml`` registers it (``custom_provider_map``)."""

    def __init__(self, agent: str, session_id: str) -> None:
        import litellm

        from agentllm.compat.litellm import register_custom_provider
        from agentllm.provider.handler import agno_llm

        self.model, self.session_id = model_name(agent), session_id
        self.where = f"{self.model} in this process"
        self._litellm = litellm
        litellm.suppress_debug_info = True  # its "Give Feedback" banner on every error
        register_custom_provider("agno", agno_llm)

    async def reply(self, messages: list[dict[str, str]]) -> AsyncGenerator[Piece, None]:
        import openai

        try:
            stream = await self._litellm.acompletion(
                model=self.model,
                messages=messages,
                stream=True,
                # Where a CustomLLM finds request headers in the SDK (compat.litellm).
                metadata={"headers": {SESSION_ID_HEADER: self.session_id}},
            )
            try:
                async for chunk in stream:
                    if chunk.choices:
                        for piece in _pieces(chunk.choices[0].delta):
                            yield piece
            finally:
                await stream.aclose()  # a reply left unread ends its agent run now, here
        except openai.OpenAIError as exc:  # LiteLLM's exceptions are OpenAI's, with a status
            raise ChatError(
                f"{self.model}: {first_paragraph(getattr(exc, 'message', exc))}"
            ) from None


class Remote:
    """A running proxy, through the ``openai`` client."""

    def __init__(self, agent: str, session_id: str, url: str, key: str) -> None:
        from openai import AsyncOpenAI

        base = url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else f"{base}/v1"
        self.model, self.session_id = model_name(agent), session_id
        self.where = f"{self.model} at {self.base_url}"
        self._client = AsyncOpenAI(base_url=self.base_url, api_key=key, max_retries=0)

    async def reply(self, messages: list[dict[str, str]]) -> AsyncGenerator[Piece, None]:
        import openai

        try:
            stream = await self._client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                stream=True,
                extra_headers={SESSION_ID_HEADER: self.session_id},
            )
            try:
                async for chunk in stream:
                    if chunk.choices:
                        for piece in _pieces(chunk.choices[0].delta):
                            yield piece
            finally:
                await stream.close()
        except openai.APIConnectionError:
            raise ChatError(
                f"cannot reach the proxy at {self.base_url}: start it with `agentllm serve` "
                "(or `make serve`), or pass the right --url"
            ) from None
        except openai.AuthenticationError:
            raise ChatError(
                f"the proxy at {self.base_url} refused the key: pass --key, or set "
                "LITELLM_MASTER_KEY to the proxy's key"
            ) from None
        except openai.APIStatusError as exc:
            raise ChatError(f"{self.model}: {exc.status_code} {_message(exc)}") from None


def first_paragraph(message: Any) -> str:
    """What an exception of LiteLLM's SDK says, without the traceback and bug-report link it
    appends, or its class name in front."""
    text = str(message).split("\nTraceback", 1)[0].split("\n\n", 1)[0]
    return re.sub(r"^litellm\.\w+: ", "", " ".join(text.split()))


def _message(exc: Any) -> str:
    """The error message of an OpenAI-format error body."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))


def local_setup() -> None:
    """What the agents need in this process: LiteLLM offline, secrets out of every log line."""
    from agentllm import logs
    from agentllm.config import settings

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    logs.install_redaction([*settings().secret_values(), os.environ.get("OPENAI_API_KEY", "")])
    logs.configure("warning")

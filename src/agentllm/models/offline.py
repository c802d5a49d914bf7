"""A deterministic, network-free Agno model: the keyless default and what every test runs on.

Its reply reveals what it received, so tests can prove which history an agent saw::

    echo: <content of the last user message>
    context: <content of every user message it received, oldest first, joined by " | ">

It streams through Agno's real streaming path one word per chunk, reports usage (prompt tokens =
words in the messages it received, completion tokens = words in its reply) and honours
``max_tokens`` by cutting the reply to that many words with ``finish_reason`` ``length``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

OFFLINE_MODEL_ID = "echo"


def message_text(message: Message) -> str:
    """The text of an Agno message: a string, or its text parts joined by newlines."""
    content = message.content
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type", "text") == "text"
        )
    return "" if content is None else str(content)


def echo_reply(messages: list[Message]) -> str:
    """The full (uncut) reply the offline model gives to ``messages``."""
    users = [message_text(m) for m in messages if m.role == "user"]
    last = users[-1] if users else ""
    return f"echo: {last}\ncontext: {' | '.join(users)}"


def _count_words(text: str) -> int:
    return len(text.split())


@dataclass
class OfflineModel(Model):
    """Deterministic echo model (``AGENTLLM_MODEL=echo``)."""

    id: str = OFFLINE_MODEL_ID
    name: str = "OfflineModel"
    provider: str = "agentllm"

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | str | None = None
    seed: int | None = None
    # Seconds to wait before each streamed word; lets tests exercise slow models and cancellation.
    delay: float = 0.0

    def _reply(self, messages: list[Message]) -> tuple[list[str], str, MessageMetrics]:
        """The reply as word chunks, its finish reason and its usage."""
        text = echo_reply(messages)
        # Keep line breaks: split into words, each chunk carrying the whitespace that precedes it.
        pieces: list[str] = []
        for line_no, line in enumerate(text.split("\n")):
            for word_no, word in enumerate(line.split()):
                sep = "\n" if line_no and word_no == 0 else (" " if pieces else "")
                pieces.append(sep + word)
        finish_reason = "stop"
        if self.max_tokens is not None and len(pieces) > self.max_tokens:
            pieces = pieces[: self.max_tokens]
            finish_reason = "length"
        prompt_tokens = sum(_count_words(message_text(m)) for m in messages)
        completion_tokens = len(pieces)
        usage = MessageMetrics(
            input_tokens=prompt_tokens,
            output_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )
        return pieces, finish_reason, usage

    def invoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        pieces, finish_reason, usage = self._reply(messages)
        if self.delay:
            time.sleep(self.delay * len(pieces))
        return self._parse_provider_response(("".join(pieces), finish_reason, usage))

    async def ainvoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        pieces, finish_reason, usage = self._reply(messages)
        if self.delay:
            await asyncio.sleep(self.delay * len(pieces))
        return self._parse_provider_response(("".join(pieces), finish_reason, usage))

    def invoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> Iterator[ModelResponse]:
        pieces, finish_reason, usage = self._reply(messages)
        for piece in pieces:
            if self.delay:
                time.sleep(self.delay)
            yield self._parse_provider_response_delta(piece)
        yield self._parse_provider_response_delta((finish_reason, usage))

    async def ainvoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ModelResponse]:
        pieces, finish_reason, usage = self._reply(messages)
        for piece in pieces:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield self._parse_provider_response_delta(piece)
        yield self._parse_provider_response_delta((finish_reason, usage))

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        content, finish_reason, usage = response
        return ModelResponse(
            role="assistant",
            content=content,
            response_usage=usage,
            provider_data={"finish_reason": finish_reason},
        )

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        if isinstance(response, str):
            return ModelResponse(role="assistant", content=response)
        finish_reason, usage = response
        return ModelResponse(response_usage=usage, provider_data={"finish_reason": finish_reason})

"""A deterministic, network-free Agno model: the keyless default and what most tests run on
(docs/offline-model.md says which do not).

Its reply reveals what it received, so tests can prove which history an agent saw::

    echo: <content of the last user message>
    context: <content of every user message it received, oldest first, joined by " | ">

It streams through Agno's real streaming path one word per chunk, reports usage (prompt tokens =
words in the messages it received, completion tokens = words in its reply) and honours
``max_tokens`` by cutting the reply to that many words with ``finish_reason`` ``length``.

It also uses tools and thinks, on cue, so tests exercise Agno's real tool and reasoning paths:

- a line ``/tool <name> <json object>`` in the last user message makes it call the agent's tool
  ``<name>`` with those arguments (one call per such line, in order, all in one step); once the
  results are back it gives its usual two-line reply followed by a line
  ``tool <name>: <the tool's result, trimmed to 200 characters>`` for each call;
- a line ``/think <text>`` makes it emit ``<text>`` as reasoning before the reply.

The ``echo:`` and ``context:`` lines show the user messages as sent, those lines included. A
``/tool`` line whose arguments are not a JSON object is plain text.

It takes images, and reports each image a user message carries after that message's text,
space-separated: ``[image <media type> <bytes> bytes]`` for an image it got the bytes of,
``[image <url>]`` for an image given by URL (never fetched), and
``[image reference <media type> <bytes> bytes]`` for an image it got only the stored reference
of (an earlier turn's image that the client did not send again).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agno.media import Image
from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

OFFLINE_MODEL_ID = "echo"
TOOL_LINE = re.compile(r"^/tool\s+(\S+)\s+(\{.*\})\s*$")
THINK_LINE = re.compile(r"^/think\s+(.+?)\s*$")
TOOL_RESULT_CHARS = 200


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


def image_marker(image: Image) -> str:
    """How the reply shows an image it was given: its bytes, its URL, or only a reference."""
    if isinstance(image.content, bytes):
        return f"[image {image.mime_type or 'unknown'} {len(image.content)} bytes]"
    if image.url:
        return f"[image {image.url}]"
    reference = image.media_reference
    if reference is not None:
        return f"[image reference {reference.mime_type or 'unknown'} {reference.size} bytes]"
    return "[image without data]"


def shown_text(message: Message) -> str:
    """A message's text followed by a marker for each of its images."""
    return " ".join(
        part for part in (message_text(message), *map(image_marker, message.images or [])) if part
    )


def echo_reply(messages: list[Message]) -> str:
    """The full (uncut) reply the offline model gives to ``messages``."""
    users = [shown_text(m) for m in messages if m.role == "user"]
    last = users[-1] if users else ""
    return f"echo: {last}\ncontext: {' | '.join(users)}"


def _count_words(text: str) -> int:
    return len(text.split())


def tool_requests(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``/tool <name> <json object>`` lines of ``text``, in order."""
    found = []
    for line in text.splitlines():
        match = TOOL_LINE.match(line.strip())
        if match is None:
            continue
        try:
            arguments = json.loads(match[2])
        except ValueError:
            continue
        if isinstance(arguments, dict):
            found.append((match[1], arguments))
    return found


def thought(text: str) -> str | None:
    """The text of the ``/think`` lines of ``text`` (one per line), or None."""
    lines = [m[1] for m in (THINK_LINE.match(line.strip()) for line in text.splitlines()) if m]
    return "\n".join(lines) or None


@dataclass
class Step:
    """What the model does with one call: call tools, or answer (with a thought first)."""

    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    reasoning: str | None = None
    pieces: list[str] = field(default_factory=list)
    finish_reason: str = "stop"


@dataclass
class OfflineModel(Model):
    """Deterministic echo model (``AGENTLLM_MODEL=echo``)."""

    id: str = OFFLINE_MODEL_ID
    name: str = "OfflineModel"
    provider: str = "agentllm"
    # Read by agentllm.provider.images.accepts_images; a subclass may say False.
    accepts_images: ClassVar[bool] = True

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | str | None = None
    seed: int | None = None
    # Seconds to wait before each streamed word (of the reply or its thought); lets tests exercise
    # slow models and cancellation.
    delay: float = 0.0

    def _step(self, messages: list[Message]) -> tuple[Step, MessageMetrics]:
        """This call's step and its usage."""
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        asked = message_text(messages[last_user]) if last_user >= 0 else ""
        after = messages[last_user + 1 :]
        requests = tool_requests(asked)
        prompt_tokens = sum(_count_words(message_text(m)) for m in messages)
        if requests and not any(m.role == "assistant" and m.tool_calls for m in after):
            calls = [
                {
                    "id": f"call_{uuid.uuid4().hex[:16]}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for name, arguments in requests
            ]
            usage = MessageMetrics(
                input_tokens=prompt_tokens,
                output_tokens=len(calls),
                total_tokens=prompt_tokens + len(calls),
            )
            return Step(tool_calls=calls), usage
        results = [
            f"tool {m.tool_name}: {message_text(m)[:TOOL_RESULT_CHARS]}"
            for m in after
            if m.role == "tool"
        ]
        pieces, finish_reason, usage = self._reply(messages, results)
        return Step(reasoning=thought(asked), pieces=pieces, finish_reason=finish_reason), usage

    def _reply(
        self, messages: list[Message], extra_lines: list[str] | None = None
    ) -> tuple[list[str], str, MessageMetrics]:
        """The reply as word chunks, its finish reason and its usage."""
        text = "\n".join([echo_reply(messages), *(extra_lines or [])])
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
        step, usage = self._step(messages)
        if self.delay:
            time.sleep(self.delay * len(step.pieces))
        return self._parse_provider_response((step, usage))

    async def ainvoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        step, usage = self._step(messages)
        if self.delay:
            await asyncio.sleep(self.delay * len(step.pieces))
        return self._parse_provider_response((step, usage))

    def invoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> Iterator[ModelResponse]:
        step, usage = self._step(messages)
        for delta in _deltas(step):
            if self.delay and (delta.content or delta.reasoning_content):
                time.sleep(self.delay)
            yield delta
        yield self._parse_provider_response_delta((step.finish_reason, usage))

    async def ainvoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ModelResponse]:
        step, usage = self._step(messages)
        for delta in _deltas(step):
            if self.delay and (delta.content or delta.reasoning_content):
                await asyncio.sleep(self.delay)
            yield delta
        yield self._parse_provider_response_delta((step.finish_reason, usage))

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        step, usage = response
        return ModelResponse(
            role="assistant",
            content="".join(step.pieces) if step.pieces else None,
            reasoning_content=step.reasoning,
            tool_calls=step.tool_calls,
            response_usage=usage,
            provider_data={"finish_reason": step.finish_reason},
        )

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        """The stream's last delta: why it stopped and what it cost."""
        finish_reason, usage = response
        return ModelResponse(response_usage=usage, provider_data={"finish_reason": finish_reason})


def _deltas(step: Step) -> Iterator[ModelResponse]:
    """A step as stream deltas: the tool calls at once, or the thought then the reply, by word."""
    if step.tool_calls:
        yield ModelResponse(role="assistant", tool_calls=step.tool_calls)
        return
    if step.reasoning:
        words = step.reasoning.split(" ")
        for number, word in enumerate(words):
            yield ModelResponse(role="assistant", reasoning_content=(" " if number else "") + word)
    for piece in step.pieces:
        yield ModelResponse(role="assistant", content=piece)

"""Reply items -> LiteLLM's types: streamed chunks (``GenericStreamingChunk``, or
``ModelResponseStream`` for thinking) and the whole ``ModelResponse``. Pure, but for
``stream_chunks``, which runs the run ahead of the client (``ahead``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from itertools import groupby

from litellm.types.utils import (
    Delta,
    GenericStreamingChunk,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
)
from litellm.types.utils import Usage as LiteLLMUsage

from agentllm.provider.ahead import run_ahead
from agentllm.provider.errors import no_final_output
from agentllm.provider.tool_calls import ToolView
from agentllm.provider.types import Finished, Item, Thought, ToolCall, Usage

Chunk = GenericStreamingChunk | ModelResponseStream


def text_chunk(text: str) -> GenericStreamingChunk:
    """A streamed piece of the reply."""
    return GenericStreamingChunk(
        text=text, tool_use=None, is_finished=False, finish_reason="", usage=None, index=0
    )


def final_chunk(reason: str, usage: Usage) -> GenericStreamingChunk:
    """The last streamed chunk: carries ``finish_reason`` and ``usage``."""
    return GenericStreamingChunk(
        text="",
        tool_use=None,
        is_finished=True,
        finish_reason=reason,
        usage={
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        index=0,
    )


def reasoning_chunk(text: str, stream_id: str) -> ModelResponseStream:
    """A streamed piece of the agent's thinking (``delta.reasoning_content``, which Open WebUI
    shows as a thought). LiteLLM passes a custom provider's ``ModelResponseStream`` through;
    ``GenericStreamingChunk`` has no field for reasoning. LiteLLM takes such a chunk's id as the
    stream's id from then on, so every thought of one run carries the same ``stream_id``."""
    return ModelResponseStream(
        id=stream_id,
        choices=[StreamingChoices(index=0, delta=Delta(content=None, reasoning_content=text))],
    )


def model_response(
    response: ModelResponse,
    model: str,
    text: str,
    reason: str,
    usage: Usage,
    reasoning: str | None = None,
) -> ModelResponse:
    """Fill LiteLLM's ``ModelResponse`` with the agent's answer (and its thinking, if any)."""
    choice = response.choices[0]
    choice.message.content = text
    if reasoning:
        choice.message.reasoning_content = reasoning
    choice.message.role = "assistant"
    choice.finish_reason = reason  # type: ignore[assignment]
    response.model = model
    response.created = int(time.time())
    response.usage = LiteLLMUsage(  # type: ignore[attr-defined]
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    return response


def stream_chunk(item: Item, stream_id: str, view: ToolView) -> Chunk | None:
    """One streamed chunk for a run item (None: nothing to show), tool calls in ``view``'s form."""
    if isinstance(item, Finished):
        return final_chunk(item.reason, item.usage)
    if isinstance(item, Thought):
        return reasoning_chunk(item.text, stream_id)
    text = view.show(item)
    return text_chunk(text) if text else None


def merged(items: list[Item]) -> Iterator[Item]:
    """``items`` in order, each run of text deltas as one text and each run of thoughts as one
    thought; tool calls and the run's end stay as they are."""
    for kind, group in groupby(items, key=type):
        if kind is str:
            yield "".join(group)  # type: ignore[arg-type]
        elif kind is Thought:
            yield Thought("".join(t.text for t in group))  # type: ignore[union-attr]
        else:
            yield from group


async def stream_chunks(
    items: AsyncIterator[Item], stream_id: str, view: ToolView
) -> AsyncIterator[Chunk]:
    """The streamed reply. The run goes ahead in its own task; what it made while the last chunk
    was being sent goes out merged (``merged``), and a lone item goes out as soon as it is made."""
    async with aclosing(run_ahead(items)) as batches:
        async for batch in batches:
            for item in merged(batch):
                if (chunk := stream_chunk(item, stream_id, view)) is not None:
                    yield chunk


def whole_reply(
    response: ModelResponse, model: str, items: list[Item], view: ToolView
) -> ModelResponse:
    """A whole (non-streamed) answer from the run's items; the run's end is always last. Its
    content shows the finished tool calls in ``view``'s form (a started one says nothing new)."""
    *pieces, finished = items
    if not isinstance(finished, Finished):
        raise no_final_output(model)
    text = "".join(
        view.show(i) for i in pieces if isinstance(i, str) or (isinstance(i, ToolCall) and i.done)
    )
    thinking = "".join(i.text for i in pieces if isinstance(i, Thought))
    return model_response(response, model, text, finished.reason, finished.usage, thinking)

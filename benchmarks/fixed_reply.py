"""The smallest ``CustomLLM``: a fixed reply, no agent, no store (``make bench``'s custom side).

Served by the stock ``litellm`` CLI next to ``native-mock``, it shows what LiteLLM's own
custom-provider path costs, apart from what agentllm's handler and Agno add. Its reply is the
mock's 54 characters, streamed 3 characters per chunk like ``mock_response`` (18 chunks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse, Usage

REPLY = "Ship 2.0 on Friday once the release checklist is green"
CHUNK_CHARS = 3
USAGE = Usage(prompt_tokens=8, completion_tokens=11, total_tokens=19)


def _chunks() -> Iterator[GenericStreamingChunk]:
    for start in range(0, len(REPLY), CHUNK_CHARS):
        yield GenericStreamingChunk(
            text=REPLY[start : start + CHUNK_CHARS],
            tool_use=None,
            is_finished=False,
            finish_reason="",
            usage=None,
            index=0,
        )
    yield GenericStreamingChunk(
        text="",
        tool_use=None,
        is_finished=True,
        finish_reason="stop",
        usage={"prompt_tokens": 8, "completion_tokens": 11, "total_tokens": 19},
        index=0,
    )


class FixedReply(CustomLLM):
    """Answers every request with ``REPLY``."""

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        response: ModelResponse = kwargs["model_response"]
        response.choices[0].message.content = REPLY  # type: ignore[union-attr]
        response.choices[0].finish_reason = "stop"
        response.model = kwargs["model"]
        response.usage = USAGE  # type: ignore[attr-defined]
        return response

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.completion(*args, **kwargs)

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        yield from _chunks()

    async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[GenericStreamingChunk]:
        for chunk in _chunks():
            yield chunk


fixed_reply = FixedReply()

"""A model that fails on cue, for tests: the last user message chooses what happens.

``fail:auth``, ``fail:rate``, ``fail:500``, ``fail:timeout``: the matching provider error;
``hang``: never answers; ``fail:midstream``: streams a few words, then fails. Anything else is
answered like the offline echo model. Selected with
``AGENTLLM_MODEL=python:tests.support.scripted_model:ScriptedModel``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from agno.exceptions import ModelAuthenticationError, ModelProviderError, ModelRateLimitError
from agno.models.message import Message
from agno.models.response import ModelResponse

from agentllm.models.offline import OfflineModel, message_text

HANG_SECONDS = 3600


def _cue(messages: list[Message]) -> str:
    users = [message_text(m) for m in messages if m.role == "user"]
    return users[-1].strip() if users else ""


def _failure(cue: str) -> Exception | None:
    if cue == "fail:auth":
        return ModelAuthenticationError(
            "API key not valid. Please pass a valid API key.", model_name="scripted"
        )
    if cue == "fail:rate":
        return ModelRateLimitError(
            "429 RESOURCE_EXHAUSTED: quota exceeded", status_code=429, model_name="scripted"
        )
    if cue == "fail:500":
        return ModelProviderError(
            "500 INTERNAL: the model crashed", status_code=500, model_name="scripted"
        )
    if cue == "fail:timeout":
        return ModelProviderError(
            "504 DEADLINE_EXCEEDED: request timed out", status_code=504, model_name="scripted"
        )
    return None


@dataclass
class ScriptedModel(OfflineModel):
    id: str = "scripted"
    name: str = "ScriptedModel"

    def invoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        self._before(_cue(messages))
        return super().invoke(messages, assistant_message, *args, **kwargs)

    async def ainvoke(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        await self._abefore(_cue(messages))
        return await super().ainvoke(messages, assistant_message, *args, **kwargs)

    def invoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> Iterator[ModelResponse]:
        cue = _cue(messages)
        self._before(cue)
        for index, response in enumerate(
            super().invoke_stream(messages, assistant_message, *args, **kwargs)
        ):
            if cue == "fail:midstream" and index == 3:
                raise ModelProviderError(
                    "connection reset mid-stream", status_code=500, model_name="scripted"
                )
            yield response

    async def ainvoke_stream(
        self, messages: list[Message], assistant_message: Message, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ModelResponse]:
        cue = _cue(messages)
        await self._abefore(cue)
        index = 0
        async for response in super().ainvoke_stream(messages, assistant_message, *args, **kwargs):
            if cue == "fail:midstream" and index == 3:
                raise ModelProviderError(
                    "connection reset mid-stream", status_code=500, model_name="scripted"
                )
            index += 1
            yield response

    @staticmethod
    def _before(cue: str) -> None:
        failure = _failure(cue)
        if failure is not None:
            raise failure
        if cue == "hang":
            time.sleep(HANG_SECONDS)

    @staticmethod
    async def _abefore(cue: str) -> None:
        failure = _failure(cue)
        if failure is not None:
            raise failure
        if cue == "hang":
            await asyncio.sleep(HANG_SECONDS)

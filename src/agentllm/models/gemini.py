"""Agno's Gemini, reporting what Agno 3.1 leaves out of its responses.

- why Gemini stopped: ``provider_data["finish_reason"]`` is the candidate's ``finishReason``
  (``MAX_TOKENS``, ``SAFETY``, ...) or, for a blocked prompt, its ``blockReason``;
- the whole completion: thoughts count as completion tokens, as OpenAI counts reasoning, and the
  total is Gemini's ``totalTokenCount``; a blocked prompt still reports its prompt tokens;
- Gemini's error: its HTTP status, reason and message, carried past Agno's error event as an
  ``UpstreamError`` (``upstream.CARRIED``); Agno's own message is the error body when
  google-genai uses httpx, and ``<bound method ClientResponse.text ...>`` when it uses aiohttp,
  as async runs do.

Selected by ``build_model`` for ``google:`` models; see docs/gemini.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.google import Gemini as AgnoGemini
from agno.models.response import ModelResponse
from google.genai.errors import APIError

from agentllm.models.reporting import ReportsUpstreamErrors
from agentllm.upstream import GEMINI, GEMINI_KEY, UpstreamError, from_gemini_body


def stop_reason(response: Any) -> str | None:
    """Why Gemini stopped: the candidate's finish reason, or why the prompt was blocked."""
    feedback = getattr(response, "prompt_feedback", None)
    blocked = getattr(feedback, "block_reason", None)
    if blocked is not None:
        return str(getattr(blocked, "value", blocked))
    for candidate in getattr(response, "candidates", None) or []:
        reason = getattr(candidate, "finish_reason", None)
        if reason is not None:
            return str(getattr(reason, "value", reason))
    return None


def completion_tokens(usage: Any) -> int:
    """Output tokens with thoughts included (Gemini counts them apart unless the total says not)."""
    prompt = usage.prompt_token_count or 0
    candidates = usage.candidates_token_count or 0
    thoughts = usage.thoughts_token_count or 0
    tool_prompt = usage.tool_use_prompt_token_count or 0
    if usage.total_token_count == prompt + candidates + tool_prompt:
        return candidates
    return candidates + thoughts


def reported(model_response: ModelResponse, response: Any) -> ModelResponse:
    """``model_response`` with Gemini's stop reason and its whole usage."""
    reason = stop_reason(response)
    if reason is not None:
        model_response.provider_data = {
            **(model_response.provider_data or {}),
            "finish_reason": reason,
        }
    usage = getattr(response, "usage_metadata", None)
    metrics = model_response.response_usage
    if usage is not None and (metrics is not None or reason is not None):
        # Agno takes usage from the chunk that finishes the candidate; a blocked prompt has none.
        metrics = metrics or MessageMetrics(input_tokens=usage.prompt_token_count or 0)
        metrics.output_tokens = completion_tokens(usage)
        metrics.total_tokens = (
            usage.total_token_count or metrics.input_tokens + metrics.output_tokens
        )
        model_response.response_usage = metrics
    return model_response


@dataclass
class Gemini(ReportsUpstreamErrors, AgnoGemini):
    """Agno's ``Gemini`` with the finish reason, the whole usage and Gemini's errors intact."""

    def upstream_error_in(self, cause: BaseException | None) -> UpstreamError | None:
        if not isinstance(cause, APIError):
            return None
        return from_gemini_body(cause.details, cause.code) or UpstreamError(
            GEMINI, GEMINI_KEY, cause.code, str(cause.message or ""), str(cause.status or "")
        )

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return reported(super()._parse_provider_response(response, **kwargs), response)

    # The signature of Agno's Gemini (wider than its base class declares).
    def _parse_provider_response_delta(  # type: ignore[override]
        self, response_delta: Any, **kwargs: Any
    ) -> ModelResponse:
        return reported(
            super()._parse_provider_response_delta(response_delta, **kwargs), response_delta
        )

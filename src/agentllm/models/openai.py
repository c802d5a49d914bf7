"""Agno's ``OpenAIChat`` (any OpenAI-compatible chat completions server: OpenAI, Ollama, vLLM,
...), reporting what Agno 3.1 leaves out: why the model stopped (``provider_data
["finish_reason"]``) and the server's HTTP error (status, code, message, retry delay).

Selected by ``build_model`` for ``openai-chat:`` models; the openai SDK reads ``OPENAI_BASE_URL``
and ``OPENAI_API_KEY`` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import openai
from agno.models.openai import OpenAIChat as AgnoOpenAIChat
from agno.models.response import ModelResponse

from agentllm.models.reporting import ReportsUpstreamErrors
from agentllm.upstream import UpstreamError

KEY_VARIABLE = "OPENAI_API_KEY"
# OpenAI says how long to wait in words: "Please try again in 20s." / "in 1.5s" / "in 120ms".
_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?)(ms|s)\b")


def retry_after(headers: Any, message: str) -> int | None:
    """Whole seconds to wait, from ``Retry-After`` or from the message's own words."""
    raw = headers.get("retry-after") if headers is not None else None
    if raw is not None and raw.strip().isdigit():
        return max(1, int(raw))
    match = _TRY_AGAIN.search(message)
    if match is None:
        return None
    seconds = float(match[1]) / (1000 if match[2] == "ms" else 1)
    return max(1, int(-(-seconds // 1)))


def upstream_error(cause: openai.APIStatusError) -> UpstreamError:
    """What the server answered, from the openai SDK's error."""
    body = cause.body.get("error", cause.body) if isinstance(cause.body, dict) else cause.body
    if isinstance(body, dict):
        message = str(body.get("message") or "")
        reason = str(body.get("code") or body.get("type") or "")
    else:
        message, reason = str(body or cause.message), ""
    # Where, without credentials or query: it is shown to the client and logged.
    url = cause.request.url.copy_with(query=None, username=None, password=None)
    return UpstreamError(
        provider=f"the server at {url}",
        key_variable=KEY_VARIABLE,
        status=cause.status_code,
        message=message,
        reason=reason,
        retry_after=retry_after(cause.response.headers, message),
    )


def finished(model_response: ModelResponse, response: Any) -> ModelResponse:
    """``model_response`` with the choice's finish reason, if the response has one."""
    for choice in getattr(response, "choices", None) or []:
        if choice.finish_reason:
            model_response.provider_data = {
                **(model_response.provider_data or {}),
                "finish_reason": choice.finish_reason,
            }
    return model_response


@dataclass
class OpenAIChat(ReportsUpstreamErrors, AgnoOpenAIChat):
    """Agno's ``OpenAIChat`` with the finish reason and the server's errors intact."""

    def upstream_error_in(self, cause: BaseException | None) -> UpstreamError | None:
        return upstream_error(cause) if isinstance(cause, openai.APIStatusError) else None

    # The signature of Agno's OpenAIChat (narrower than its base class declares).
    def _parse_provider_response(  # type: ignore[override]
        self, response: Any, response_format: Any = None
    ) -> ModelResponse:
        return finished(super()._parse_provider_response(response, response_format), response)

    def _parse_provider_response_delta(self, response_delta: Any) -> ModelResponse:
        return finished(super()._parse_provider_response_delta(response_delta), response_delta)

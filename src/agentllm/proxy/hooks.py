"""LiteLLM proxy callbacks (``litellm_settings.callbacks`` in ``proxy_config.yaml``)."""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import ProxyException

from agentllm.upstream import UpstreamError, for_client, from_gemini_body

ENV_PREFIX = "os.environ/"


@cache
def key_variables(config_path: str) -> dict[str, str]:
    """Model name -> the environment variable its ``api_key`` comes from, per the config file."""
    config = yaml.safe_load(Path(config_path).read_text()) or {}
    found = {}
    for entry in config.get("model_list") or []:
        api_key = (entry.get("litellm_params") or {}).get("api_key")
        if isinstance(api_key, str) and api_key.startswith(ENV_PREFIX):
            found[str(entry.get("model_name"))] = api_key.removeprefix(ENV_PREFIX)
    return found


class MissingKeyCheck(CustomLogger):
    """Answer a request for a model whose API key is not configured with 401, not a 500."""

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any
    ) -> dict:
        config_path = os.environ.get("CONFIG_FILE_PATH")
        model = data.get("model")
        if config_path and isinstance(model, str):
            variable = key_variables(config_path).get(model)
            if variable and not os.environ.get(variable, "").strip():
                raise ProxyException(
                    message=f"model {model!r} needs an API key: set {variable} in the environment "
                    "or .env and restart the proxy",
                    type="auth_error",
                    param="model",
                    code=401,
                )
        return data


missing_key_check = MissingKeyCheck()


def gemini_error_behind(exception: BaseException) -> UpstreamError | None:
    """Gemini's error body in the HTTP response behind LiteLLM's ``exception``.

    LiteLLM 1.108 raises its Gemini errors while handling httpx's ``HTTPStatusError`` (whose
    response it has read), so that error is on the chain of causes and contexts, its response's
    body Gemini's own JSON; LiteLLM's exceptions carry the body only inside their message.
    """
    seen: set[int] = set()
    cause: BaseException | None = exception
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, httpx.HTTPStatusError):
            try:
                body = cause.response.json()
            except (ValueError, httpx.ResponseNotRead):
                return None
            return from_gemini_body(body, cause.response.status_code)
        cause = cause.__cause__ or cause.__context__
    return None


class GeminiErrors(CustomLogger):
    """LiteLLM's own Gemini entries answer Gemini's errors as the agents do: with the status an
    OpenAI client expects (stock LiteLLM: 500 for Gemini's 500, 400 for a bad key when streaming,
    500 for a 503 when not) and a message that says what to do, ``Retry-After`` on a 429."""

    async def async_post_call_failure_hook(
        self,
        request_data: dict,
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        config_path = os.environ.get("CONFIG_FILE_PATH")
        model = request_data.get("model")
        if not config_path or not isinstance(model, str):
            return None
        # Only entries with a key of their own (the agents have none): name it in the advice.
        variable = key_variables(config_path).get(model)
        upstream = gemini_error_behind(original_exception) if variable else None
        if variable is None or upstream is None:
            return None
        reply = for_client(replace(upstream, key_variable=variable))
        headers = {"retry-after": str(reply.retry_after)} if reply.retry_after else None
        return HTTPException(status_code=reply.status, detail=reply.message, headers=headers)


gemini_errors = GeminiErrors()

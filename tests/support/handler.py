"""Calling the provider's entry points directly, as LiteLLM calls a ``CustomLLM``."""

from __future__ import annotations

from typing import Any

from litellm.types.utils import ModelResponse


def entry_point(handler: Any, entry: str, model: str, messages: list, user: str, chat: str) -> Any:
    """``handler.<entry>`` (``completion``, ``streaming``, ``acompletion``, ``astreaming``) for
    ``model`` with LiteLLM's arguments, as ``user`` in conversation ``chat``."""
    return getattr(handler, entry)(
        model=model,
        messages=messages,
        api_base="",
        custom_prompt_dict={},
        model_response=ModelResponse(),
        print_verbose=print,
        encoding=None,
        api_key=None,
        logging_obj=None,
        optional_params={},
        litellm_params={
            "metadata": {"headers": {"x-session-id": chat}, "user_api_key_end_user_id": user}
        },
    )


def call_sync(handler: Any, model: str, messages: list, stream: bool = False) -> Any:
    """The synchronous entry point's whole answer (a streamed one read to its end)."""
    entry = "streaming" if stream else "completion"
    result = entry_point(handler, entry, model, messages, user="u", chat="")
    return list(result) if stream else result

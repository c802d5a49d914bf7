"""Calling the provider's entry points directly, as LiteLLM calls a ``CustomLLM``."""

from __future__ import annotations

import asyncio
import threading
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


def params(user: str, chat: str) -> dict[str, Any]:
    """LiteLLM's ``litellm_params`` of a proxy request by ``user`` in conversation ``chat``."""
    headers = {"x-session-id": chat}
    return {
        "metadata": {"headers": headers, "user_api_key_end_user_id": user},
        "proxy_server_request": {"headers": headers, "body": {"user": user}},
    }


async def answer(handler: Any, model: str, chat: str) -> str:
    """One whole reply from the async path, as user ``u`` in conversation ``chat``."""
    messages = [{"role": "user", "content": f"hello from {chat}"}]
    response = await entry_point(handler, "acompletion", model, messages, "u", chat)
    return response.choices[0].message.content


async def another_conversation_is_answered_meanwhile(handler, slow_model, started, release):
    """While a turn of ``slow_model`` in conversation chat-slow is held (``started`` set, until
    ``release``), a turn of another conversation is answered; then the held one is too."""
    blocked = asyncio.create_task(answer(handler, slow_model, "chat-slow"))
    await asyncio.to_thread(started.wait, 30)
    try:
        fast = await answer(handler, "agno/release-manager", "chat-fast")
        assert "hello from chat-fast" in fast
        assert not blocked.done() and not release.is_set()
    finally:
        release.set()
    assert "hello from chat-slow" in await blocked


def hold_one_conversation(monkeypatch, cls, method: str, handler: Any, chat: str):
    """Make ``cls.method`` block (a database that takes its time: a lock, a slow disk) for one
    conversation until the returned ``release`` is set; ``started`` is set when it blocks."""
    started, release = threading.Event(), threading.Event()
    session = handler.prepare(
        "agno/release-manager", [{"role": "user", "content": "x"}], {}, params("u", chat)
    ).session_id
    original = getattr(cls, method)

    def slow(self, *args, **kwargs):
        if session in (*args, *kwargs.values()):
            started.set()
            release.wait(30)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, slow)
    return started, release

"""The ASGI app the server runs: LiteLLM's proxy app behind a thin request guard."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

from agentllm.db import close_all


def with_store_shutdown(app: Any) -> Any:
    """Close the conversation stores' connections when the server shuts down (requests done).

    Uvicorn sends ``lifespan.shutdown`` after its graceful shutdown, and then re-raises SIGTERM,
    which skips ``atexit``. Nothing is queued: every turn was committed before its reply ended.
    """

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def receive_and_close() -> dict:
            message: dict = await receive()
            if message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(close_all)
            return message

        await app(scope, receive_and_close, send)

    return wrapped


def build_app() -> Any:
    """LiteLLM's proxy app (reads ``CONFIG_FILE_PATH`` at start-up), wrapped by the guard.

    Uvicorn calls this once in each worker process (``agentllm serve --workers N``), before it
    serves: that is where Jira's reachability is checked (up to ``JIRA_PROBE_SECONDS``), so that
    no request ever waits on it. Under ``make bench`` (``AGENTLLM_BENCH=1``) an event-loop lag
    probe wraps the app too.
    """
    from litellm.proxy.proxy_server import app

    from agentllm import logs
    from agentllm.config import settings
    from agentllm.proxy.guard import RequestGuard
    from agentllm.proxy.lag import with_lag_probe
    from agentllm.tools.services import check_reachability

    config = settings()
    # OPENAI_API_KEY is the openai SDK's own variable, not a setting: redacted all the same.
    logs.install_redaction([*config.secret_values(), os.environ.get("OPENAI_API_KEY", "")])
    logs.configure(config.log_level)  # after LiteLLM's import
    check_reachability(config)

    # The ~700k objects made by importing LiteLLM live as long as the process: frozen, full
    # garbage collections skip them (each took ~450 ms on 2 cores and stalled every request).
    gc.freeze()
    guarded = RequestGuard(app, max_body_bytes=config.max_body_bytes)
    return with_lag_probe(with_store_shutdown(guarded), enabled=config.bench)

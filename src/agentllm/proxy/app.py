"""The ASGI app the server runs: LiteLLM's proxy app behind a thin request guard."""

from __future__ import annotations

import gc
from typing import Any


def build_app() -> Any:
    """LiteLLM's proxy app (reads ``CONFIG_FILE_PATH`` at start-up), wrapped by the guard.

    Under ``make bench`` (``AGENTLLM_BENCH=1``) an event-loop lag probe wraps it too.
    """
    from litellm.proxy.proxy_server import app

    from agentllm.proxy.guard import RequestGuard
    from agentllm.proxy.lag import with_lag_probe

    # The ~700k objects made by importing LiteLLM live as long as the process: frozen, full
    # garbage collections skip them (each took ~450 ms on 2 cores and stalled every request).
    gc.freeze()
    return with_lag_probe(RequestGuard(app))

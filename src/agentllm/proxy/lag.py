"""Event-loop lag probe for ``make bench``: off unless ``AGENTLLM_BENCH=1`` (``settings().bench``).

A periodic task sleeps ``interval`` seconds and records how late it wakes up: that drift is how
long any request would have waited for the loop. ``GET /bench/lag`` returns the percentiles of
the drift since the previous ``GET /bench/lag`` (and starts a new window).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LAG_PATH = "/bench/lag"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


class LagMonitor:
    """Measures the event loop's scheduling delay with a periodic task."""

    def __init__(self, interval: float = 0.01, capacity: int = 200_000) -> None:
        self.interval = interval
        self._samples: deque[float] = deque(maxlen=capacity)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        # perf_counter, not loop.time(): uvloop's clock has millisecond resolution.
        while True:
            expected = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self._samples.append(max(0.0, time.perf_counter() - expected))

    def window(self) -> dict[str, Any]:
        """Drift percentiles (ms) since the previous call; starts a new window."""
        samples = list(self._samples)
        self._samples.clear()
        ms = [s * 1000 for s in samples]
        return {
            "interval_ms": self.interval * 1000,
            "samples": len(ms),
            "p50_ms": percentile(ms, 50),
            "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99),
            "max_ms": max(ms, default=0.0),
        }


class LagProbe:
    """ASGI wrapper: runs a ``LagMonitor`` on the server's loop and serves ``GET /bench/lag``."""

    def __init__(self, app: ASGIApp, monitor: LagMonitor | None = None) -> None:
        self.app = app
        self.monitor = monitor or LagMonitor()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.monitor.start()
        if scope["type"] == "http" and scope.get("path") == LAG_PATH:
            body = json.dumps(self.monitor.window()).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def with_lag_probe(app: ASGIApp, enabled: bool) -> ASGIApp:
    """``app`` behind a ``LagProbe`` when ``enabled`` (``AGENTLLM_BENCH``), else ``app`` itself."""
    return LagProbe(app) if enabled else app

"""The synchronous entry points (``litellm.completion`` in-process) driven by the async path: one
private event loop in a daemon thread runs every synchronous call, so both paths share the same
code, timeout, cancellation and stream closing.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import suppress
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()
# How long closing a cancelled stream may take before the caller goes on.
CLOSE_WAIT_SECONDS = 10.0


class SyncBridge:
    """Run coroutines and async iterators from synchronous code, on one background loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="agentllm-sync", daemon=True).start()
                self._loop = loop
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """``coroutine``'s result; cancelled if the calling thread is interrupted."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        try:
            return future.result()
        finally:
            future.cancel()

    def iterate(self, stream: AsyncIterator[T]) -> Iterator[T]:
        """``stream``'s items as they come. The stream runs as one task (its timeouts hold across
        items); closing the iterator early cancels it and waits until it has closed."""
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        closed = threading.Event()

        async def pump() -> None:
            try:
                async for item in stream:
                    items.put(item)
            except BaseException as exc:
                items.put(exc)
                raise
            finally:
                with suppress(Exception):
                    await stream.aclose()  # type: ignore[attr-defined]
                closed.set()
            items.put(_END)

        future = asyncio.run_coroutine_threadsafe(pump(), self._running_loop())
        try:
            while (item := items.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if not future.done():
                future.cancel()
                # Bounded: a stream cancelled before it started has nothing to close.
                closed.wait(CLOSE_WAIT_SECONDS)

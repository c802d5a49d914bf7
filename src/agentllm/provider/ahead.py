"""Run an async stream ahead of its reader: it goes on producing in its own task while the reader
sends what it has, and the reader takes everything produced meanwhile in one go.

LiteLLM's streaming path has a cost per chunk (docs/BENCHMARKS.md), so deltas that are already
waiting are cheaper sent together. Nothing is held back to wait for company: when nothing is
waiting, the reader gets the next item as soon as it is produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Failed:
    error: Exception


_END = object()


async def run_ahead(items: AsyncIterator[T]) -> AsyncGenerator[list[T], None]:
    """``items`` in batches: each batch is everything produced since the last one was taken (at
    least one item). The producer's error is raised here, after the items made before it;
    closing this iterator cancels the producer and waits until it has stopped."""
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def produce() -> None:
        try:
            async for item in items:
                queue.put_nowait(item)
        except Exception as exc:
            queue.put_nowait(_Failed(exc))
        finally:
            queue.put_nowait(_END)

    producer = asyncio.create_task(produce())
    try:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            for position, item in enumerate(batch):
                if item is _END or isinstance(item, _Failed):
                    if position:
                        yield batch[:position]
                    if isinstance(item, _Failed):
                        raise item.error
                    return
            yield batch
    finally:
        producer.cancel()
        await asyncio.wait([producer])

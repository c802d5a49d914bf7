"""The streamed reply: the run goes ahead of the client, and what is already waiting when the
client asks goes out together (text as one chunk, thinking as one), never holding back a delta."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agentllm.provider.reply import stream_chunks
from agentllm.provider.tool_calls import ToolView
from agentllm.provider.types import Finished, Item, Thought, ToolCall, Usage

END = Finished("stop", Usage(1, 4, 5))


def chunks_of(items: AsyncIterator[Item], display: str = "off") -> AsyncIterator:
    return stream_chunks(items, "chatcmpl-1", ToolView(display))  # type: ignore[arg-type]


def shown(chunk) -> str | tuple[str, str]:
    """A chunk as text, or ("thought", text)."""
    if isinstance(chunk, dict):
        return chunk["text"]
    return ("thought", chunk.choices[0].delta.reasoning_content)


async def test_a_lone_delta_goes_at_once_and_deltas_already_waiting_go_as_one_chunk():
    release = asyncio.Event()

    async def run() -> AsyncIterator[Item]:
        yield "first"
        await release.wait()
        for word in (" a", " b", " c"):
            yield word
        yield END

    chunks = chunks_of(run())
    # Sent while the run still waits: the first delta is never held back for company.
    assert shown(await anext(chunks)) == "first"
    release.set()
    rest = [chunk async for chunk in chunks]
    assert [shown(c) for c in rest] == [" a b c", ""]
    assert rest[-1]["is_finished"] and rest[-1]["usage"]["total_tokens"] == 5


async def test_waiting_items_merge_by_kind_in_order_never_across_a_tool_call():
    async def run() -> AsyncIterator[Item]:
        yield Thought("weigh")
        yield Thought(" it")
        yield "so"
        yield ToolCall(id="t1", name="look", arguments={})
        yield "then"
        yield " done"
        yield END

    sent = [shown(c) async for c in chunks_of(run(), display="status")]
    assert sent == [("thought", "weigh it"), "so", "\n\n⚙ look {} …\n\n", "then done", ""]


async def test_a_failing_run_sends_what_it_made_then_raises_its_own_error():
    failure = RuntimeError("agent broke")

    async def run() -> AsyncIterator[Item]:
        yield "partial"
        raise failure

    chunks = chunks_of(run())
    assert shown(await anext(chunks)) == "partial"
    with pytest.raises(RuntimeError) as caught:
        await anext(chunks)
    assert caught.value is failure


async def test_a_client_that_stops_early_stops_the_run_and_leaves_no_task():
    closed = asyncio.Event()

    async def run() -> AsyncIterator[Item]:
        try:
            yield "a"
            await asyncio.Event().wait()  # a run that would never end by itself
            yield END
        finally:
            closed.set()

    chunks = chunks_of(run())
    assert shown(await anext(chunks)) == "a"
    await chunks.aclose()  # type: ignore[attr-defined]
    assert closed.is_set()
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

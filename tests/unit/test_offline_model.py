"""The offline model through a real Agno agent (no database, no network)."""

from __future__ import annotations

import pytest
from agno.agent import Agent
from agno.models.message import Message

from agentllm.models.offline import OfflineModel, echo_reply


def test_echo_reply_reveals_last_message_and_all_user_context():
    messages = [
        Message(role="system", content="sys"),
        Message(role="user", content="a"),
        Message(role="assistant", content="x"),
        Message(role="user", content="b"),
    ]
    assert echo_reply(messages) == "echo: b\ncontext: a | b"


def test_agent_run_reports_reply_usage_and_stop():
    agent = Agent(model=OfflineModel())
    run = agent.run("hello world")
    assert run.content == "echo: hello world\ncontext: hello world"
    assert run.metrics.output_tokens == 6
    assert run.metrics.input_tokens >= 2
    assert run.model_provider_data == {"finish_reason": "stop"}


def test_streams_at_least_one_chunk_per_word():
    agent = Agent(model=OfflineModel())
    chunks = [
        e.content for e in agent.run("one two three", stream=True) if getattr(e, "content", None)
    ]
    assert len(chunks) >= 8
    assert "".join(chunks) == "echo: one two three\ncontext: one two three"


def test_max_tokens_cuts_the_reply_and_reports_length():
    agent = Agent(model=OfflineModel(max_tokens=3))
    run = agent.run("one two three four")
    assert run.content == "echo: one two"
    assert run.metrics.output_tokens == 3
    assert run.model_provider_data == {"finish_reason": "length"}


@pytest.mark.asyncio
async def test_async_stream_matches_sync_reply():
    agent = Agent(model=OfflineModel())
    chunks = [
        e.content async for e in agent.arun("hi there", stream=True) if getattr(e, "content", None)
    ]
    assert "".join(chunks) == agent.run("hi there").content

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


# --- tools and thinking: the contract other tests rely on ------------------------------------


def release_date(version: str) -> str:
    """When a version ships."""
    return f"{version} ships on Friday"


def long_report() -> str:
    """A tool whose result is longer than the model repeats."""
    return "x" * 500


TOOL_TURN = 'Plan it\n/tool release_date {"version": "2.0"}\n/tool release_date {"version": "2.1"}'


@pytest.mark.parametrize("stream", [False, True])
def test_tool_lines_make_it_call_the_agents_tools_in_order_then_report_them(stream):
    agent = Agent(model=OfflineModel(), tools=[release_date])
    if stream:
        events = list(agent.run(TOOL_TURN, stream=True, stream_events=True, yield_run_output=True))
        run = events[-1]
        started = [e.tool.tool_name for e in events if type(e).__name__ == "ToolCallStartedEvent"]
        assert started == ["release_date", "release_date"]
    else:
        run = agent.run(TOOL_TURN)
    assert [t.tool_args for t in run.tools] == [{"version": "2.0"}, {"version": "2.1"}]
    assert run.content.split("\n") == [
        "echo: Plan it",
        '/tool release_date {"version": "2.0"}',
        '/tool release_date {"version": "2.1"}',
        "context: Plan it",
        '/tool release_date {"version": "2.0"}',
        '/tool release_date {"version": "2.1"}',
        "tool release_date: 2.0 ships on Friday",
        "tool release_date: 2.1 ships on Friday",
    ]


def test_a_tool_result_is_trimmed_to_200_characters_in_the_reply():
    agent = Agent(model=OfflineModel(), tools=[long_report])
    run = agent.run("/tool long_report {}")
    last = run.content.split("\n")[-1]
    assert last == "tool long_report: " + "x" * 200


def test_a_tool_line_without_a_json_object_is_just_text():
    agent = Agent(model=OfflineModel(), tools=[release_date])
    run = agent.run("/tool release_date not-json")
    assert not run.tools
    assert run.content == "echo: /tool release_date not-json\ncontext: /tool release_date not-json"


@pytest.mark.parametrize("stream", [False, True])
def test_a_think_line_is_reasoning_before_the_reply(stream):
    agent = Agent(model=OfflineModel())
    text = "/think first the tags, then the notes\nWrite notes"
    if stream:
        events = list(agent.run(text, stream=True, yield_run_output=True))
        run = events[-1]
        kinds = [
            "reasoning" if getattr(e, "reasoning_content", None) else "content"
            for e in events
            if getattr(e, "reasoning_content", None) or getattr(e, "content", None)
        ]
        assert kinds.index("content") > kinds.index("reasoning")  # thought first
        assert "content" not in kinds[: kinds.index("content")]
    else:
        run = agent.run(text)
    assert run.reasoning_content == "first the tags, then the notes"
    assert run.content.startswith("echo: /think first the tags, then the notes\nWrite notes")


# --- images: the contract the image tests rely on --------------------------------------------


def png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)


def test_echo_reply_reports_each_image_after_the_text_of_its_message():
    from agno.media import Image, MediaReference

    reference = MediaReference(
        media_id="x", storage_key="k", storage_backend="client", mime_type="image/gif", size=7
    )
    messages = [
        Message(
            role="user", content="look", images=[Image(content=png(1234), mime_type="image/png")]
        ),
        Message(role="assistant", content="x"),
        Message(role="user", content="", images=[Image(url="https://example.com/a.png")]),
        Message(role="user", content="old", images=[Image(media_reference=reference)]),
        Message(
            role="user",
            content="two",
            images=[Image(content=png(10), mime_type="image/png"), Image(url="http://h/b.jpg")],
        ),
    ]
    assert echo_reply(messages).split("\n") == [
        "echo: two [image image/png 10 bytes] [image http://h/b.jpg]",
        "context: look [image image/png 1234 bytes] | [image https://example.com/a.png] | "
        "old [image reference image/gif 7 bytes] | two [image image/png 10 bytes] "
        "[image http://h/b.jpg]",
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_an_agent_run_shows_the_images_it_was_given(stream):
    from agno.media import Image

    agent = Agent(model=OfflineModel())
    image = Image(content=png(1234), mime_type="image/png")
    message = Message(role="user", content="look", images=[image])
    if stream:
        content = "".join(
            e.content for e in agent.run([message], stream=True) if getattr(e, "content", None)
        )
    else:
        content = agent.run([message]).content
    assert (
        content
        == "echo: look [image image/png 1234 bytes]\ncontext: look [image image/png 1234 bytes]"
    )


def test_the_offline_model_takes_images():
    from agentllm.provider.media import accepts_images

    assert accepts_images(OfflineModel())

"""The handler's own state: the agent cache and request preparation."""

from __future__ import annotations

import asyncio

import litellm
import pytest

from agentllm.config import settings
from agentllm.provider.agent_cache import AgentCache
from agentllm.provider.handler import AgnoLLM
from agentllm.provider.types import ModelParams, Turn
from tests.support.handler import (
    another_conversation_is_answered_meanwhile,
    hold_one_conversation,
    params,
)


async def test_agent_cache_is_an_lru_of_bounded_size():
    cache = AgentCache(size=2)
    first = await cache.get("release-manager", ModelParams(temperature=0.1), stateful=True)
    await cache.get("release-manager", ModelParams(temperature=0.2), stateful=True)
    assert await cache.get("release-manager", ModelParams(temperature=0.1), stateful=True) is first
    await cache.get("release-manager", ModelParams(temperature=0.3), stateful=True)
    assert len(cache) == 2
    assert await cache.get("release-manager", ModelParams(temperature=0.1), stateful=True) is first
    assert await cache.get("release-manager", ModelParams(temperature=0.2), stateful=True)
    assert len(cache) == 2


async def test_concurrent_requests_for_one_new_agent_build_it_once(monkeypatch):
    from agno.agent import Agent

    from agentllm import agents
    from agentllm.agents import AgentSpec
    from agentllm.models.offline import OfflineModel

    builds = []

    def factory(**_):
        builds.append(1)
        return Agent(model=OfflineModel())

    spec = AgentSpec(name="counted", description="counts its builds", factory=factory)
    monkeypatch.setattr(agents, "registry", lambda: {"counted": spec})
    cache = AgentCache(size=4)
    served = await asyncio.gather(
        *(cache.get("counted", ModelParams(), stateful=True) for _ in range(8))
    )
    assert len(builds) == 1 and all(s is served[0] for s in served)


async def test_cache_is_never_keyed_by_user_or_conversation():
    handler = AgnoLLM(settings())
    messages = [{"role": "user", "content": "x"}]
    for i in range(200):
        run = handler.prepare("agno/release-manager", messages, {}, params(f"user{i}", f"c{i}"))
        await handler._served(run)
    assert len(handler.agents) == 1


async def test_stateless_agents_have_no_database():
    handler = AgnoLLM(settings())
    run = handler.prepare("agno/release-manager", [{"role": "user", "content": "x"}], {}, {})
    assert run.session_id is None and (await handler._served(run)).db is None


def test_prepare_maps_bad_input_to_400_and_unknown_agent_to_404():
    handler = AgnoLLM(settings())
    with pytest.raises(litellm.BadRequestError):
        handler.prepare("agno/release-manager", [], {}, {})
    with pytest.raises(litellm.BadRequestError):
        handler.prepare(
            "agno/release-manager", [{"role": "user", "content": "x"}], {}, params("u", "c" * 1000)
        )
    with pytest.raises(litellm.NotFoundError):
        handler.prepare("agno/missing", [{"role": "user", "content": "x"}], {}, {})


TASK = "### Task:\nGenerate a title\n<chat_history>\nUSER: hi\n</chat_history>"


@pytest.mark.parametrize(
    ("text", "task_header", "history", "expected"),
    [
        (TASK, None, False, True),
        ("  ### Task: tags <chat_history></chat_history>", None, False, True),
        ("### Task: no history marker", None, False, False),
        ("please summarise <chat_history>", None, False, False),
        (TASK, None, True, False),  # a user who pastes a task prompt into a conversation
        ("Suggest a title", "title_generation", False, True),  # Open WebUI's own mark
        (TASK, "", False, False),  # the mark says: a chat turn
    ],
)
def test_open_webui_background_tasks_are_answered_and_never_stored(
    text, task_header, history, expected
):
    headers = {"x-session-id": "c1"}
    if task_header is not None:
        headers["x-openwebui-task"] = task_header
    earlier = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    messages = [*(earlier if history else []), {"role": "user", "content": text}]
    run = AgnoLLM(settings()).prepare(
        "agno/release-manager", messages, {}, {"metadata": {"headers": headers}}
    )
    assert run.request.background_task is expected
    assert (run.session_id is None) is expected


def slow_agent(monkeypatch, delay: float, timeout: float):
    """Register agno/slowpoke: the offline model pausing ``delay`` s per word, ``timeout`` s."""
    from agno.agent import Agent

    from agentllm import agents
    from agentllm.agents import AgentSpec
    from agentllm.models.offline import OfflineModel

    slow = AgentSpec(
        name="slowpoke",
        description="answers slowly",
        factory=lambda **_: Agent(model=OfflineModel(delay=delay)),
        timeout=timeout,
    )
    monkeypatch.setattr(agents, "registry", lambda: {"slowpoke": slow})


async def test_an_agent_can_set_its_own_timeout(monkeypatch):
    from agentllm.provider.errors import AgentTimeout

    slow_agent(monkeypatch, delay=0.5, timeout=0.2)
    handler = AgnoLLM(settings())
    run = handler.prepare("agno/slowpoke", [{"role": "user", "content": "x"}], {}, {})
    assert run.timeout == 0.2
    with pytest.raises(AgentTimeout) as caught:
        async for _ in handler.events(run):
            pass
    assert caught.value.status_code == 504


@pytest.mark.parametrize("stream", [False, True])
def test_the_synchronous_entry_points_time_out_like_the_async_ones(monkeypatch, stream):
    from agentllm.provider.errors import AgentTimeout
    from tests.support.handler import call_sync

    slow_agent(monkeypatch, delay=0.5, timeout=0.2)
    handler = AgnoLLM(settings())
    with pytest.raises(AgentTimeout) as caught:
        call_sync(handler, "agno/slowpoke", [{"role": "user", "content": "x"}], stream=stream)
    assert caught.value.status_code == 504


def test_agents_without_their_own_timeout_use_the_global_one():
    run = AgnoLLM(settings()).prepare(
        "agno/release-manager", [{"role": "user", "content": "x"}], {}, {}
    )
    assert run.timeout == settings().request_timeout


@pytest.mark.parametrize("cue", ["hang", "fail:midstream"])
async def test_a_failed_or_timed_out_run_leaves_no_task_behind(monkeypatch, cue):
    from agno.agent import Agent

    from agentllm import agents
    from agentllm.agents import AgentSpec
    from tests.support.scripted_model import ScriptedModel

    spec = AgentSpec(
        name="scripted",
        description="fails on cue",
        factory=lambda **_: Agent(model=ScriptedModel()),
        timeout=0.3,
    )
    monkeypatch.setattr(agents, "registry", lambda: {"scripted": spec})
    handler = AgnoLLM(settings())
    run = handler.prepare("agno/scripted", [{"role": "user", "content": cue}], {}, {})
    with pytest.raises((litellm.Timeout, litellm.BadGatewayError)):
        async for _ in handler.events(run):
            pass
    # Generators Agno abandoned are closed by short-lived clean-up tasks; wait for them (and
    # any they start) to end, then nothing of the run may still be pending (a hanging model
    # call would be).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while (
        leftover := [
            t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()
        ]
    ) and loop.time() < deadline:
        await asyncio.wait(leftover, timeout=deadline - loop.time())
    assert leftover == []


def test_agno_content_and_reasoning_events_become_text_and_thoughts():
    from agno.run.agent import RunContentEvent

    from agentllm.provider.events import run_item
    from agentllm.provider.types import Thought

    translate = run_item
    assert translate(RunContentEvent(content="hello"), "agno/x") == "hello"
    assert translate(RunContentEvent(reasoning_content="hmm"), "agno/x") == Thought("hmm")
    assert translate(RunContentEvent(content=""), "agno/x") is None


def test_a_thought_streams_as_reasoning_content_under_the_runs_stream_id():
    from agentllm.provider.reply import reasoning_chunk

    chunk = reasoning_chunk("weigh it", "chatcmpl-run-1")
    assert chunk.id == "chatcmpl-run-1"
    assert chunk.choices[0].delta.reasoning_content == "weigh it"
    assert not chunk.choices[0].delta.content and chunk.choices[0].finish_reason is None


def test_agno_tool_events_become_started_and_finished_tool_calls():
    from agno.models.response import ToolExecution
    from agno.run.agent import ToolCallCompletedEvent, ToolCallStartedEvent

    from agentllm.provider.events import run_item
    from agentllm.provider.tool_calls import ToolCall

    tool = ToolExecution(tool_call_id="c1", tool_name="add", tool_args={"a": 1})
    assert run_item(ToolCallStartedEvent(tool=tool), "agno/x") == ToolCall(
        id="c1", name="add", arguments={"a": 1}
    )
    tool.result, tool.tool_call_error = "boom", True
    assert run_item(ToolCallCompletedEvent(tool=tool, content="add() completed"), "agno/x") == (
        ToolCall(id="c1", name="add", arguments={"a": 1}, result="boom", done=True, failed=True)
    )


def test_a_runs_assistant_messages_around_its_tool_calls_are_one_turn():
    from agno.models.message import Message
    from agno.run.agent import RunOutput
    from agno.run.base import RunStatus

    from agentllm.provider.conversation import StoredRun
    from agentllm.provider.runs import agent_turns
    from agentllm.provider.types import Turn

    run = RunOutput(
        run_id="r1",
        status=RunStatus.completed,
        messages=[
            Message(role="user", content="/tool add {}"),
            Message(role="assistant", content="Let me add.", tool_calls=[{"id": "c1"}]),
            Message(role="tool", content="3", tool_call_id="c1"),
            Message(role="assistant", content="It is 3."),
        ],
    )
    assert agent_turns([run]) == [
        StoredRun("r1", (Turn("user", "/tool add {}"), Turn("assistant", "Let me add.\nIt is 3.")))
    ]


def test_turns_with_images_read_back_from_a_stored_run_equal_the_turns_sent(tmp_path):
    import base64

    from agno.agent import Agent
    from agno.db.base import SessionType
    from agno.db.sqlite import SqliteDb

    from agentllm.models.offline import OfflineModel
    from agentllm.provider.conversation import Plan
    from agentllm.provider.request import parse_request
    from agentllm.provider.runs import agent_turns, run_input

    def image(data: bytes) -> dict:
        url = "data:image/png;base64," + base64.b64encode(data).decode()
        return {"type": "image_url", "image_url": {"url": url}}

    png = b"\x89PNG\r\n\x1a\n" + b"\1" * 300
    request = parse_request(
        "agno/x",
        [
            {"role": "user", "content": [image(png)]},
            {"role": "assistant", "content": "a PNG"},
            {"role": "user", "content": [{"type": "text", "text": "and"}, image(png)]},
        ],
        {},
    )
    messages = run_input(request, Plan(use_stored_history=False, record=request.history))
    assert messages[0].content is None and messages[0].images[0].content == png
    db = SqliteDb(db_file=str(tmp_path / "store.db"))
    Agent(model=OfflineModel(), db=db).run(messages, session_id="s", user_id="u")
    session = db.get_session(session_id="s", session_type=SessionType.AGENT, user_id="u")
    db.db_engine.dispose()
    [stored] = agent_turns(session.runs)
    *sent, reply = stored.turns
    assert sent == [*request.history, Turn("user", "and", request.images)]
    assert reply.role == "assistant" and reply.content.startswith("echo: and [image image/png")
    assert all(i.content is None for m in session.runs[0].messages for i in m.images or [])


def test_two_assistant_messages_a_client_sent_stay_two_turns():
    from agno.models.message import Message
    from agno.run.agent import RunOutput
    from agno.run.base import RunStatus

    from agentllm.provider.runs import agent_turns
    from agentllm.provider.types import Turn

    run = RunOutput(
        run_id="r1",
        status=RunStatus.completed,
        messages=[
            Message(role="user", content="u1"),
            Message(role="assistant", content="part one"),
            Message(role="assistant", content="part two"),
            Message(role="user", content="u2"),
            Message(role="assistant", content="answer"),
        ],
    )
    [stored] = agent_turns([run])
    assert [t.content for t in stored.turns] == ["u1", "part one", "part two", "u2", "answer"]
    assert all(isinstance(t, Turn) for t in stored.turns)


async def test_a_slow_agent_build_does_not_delay_another_conversation(monkeypatch):
    import threading

    from agno.agent import Agent

    from agentllm import agents
    from agentllm.agents import AgentSpec
    from agentllm.models.offline import OfflineModel

    started, release = threading.Event(), threading.Event()

    def slow_factory(**_):
        started.set()
        release.wait(30)  # a build that blocks (a network check, a big model file)
        return Agent(model=OfflineModel())

    slow = AgentSpec(name="slow-build", description="builds slowly", factory=slow_factory)
    registry = {**agents.registry(), "slow-build": slow}
    monkeypatch.setattr(agents, "registry", lambda: registry)
    await another_conversation_is_answered_meanwhile(
        AgnoLLM(settings()), "agno/slow-build", started, release
    )


async def test_a_slow_database_read_does_not_delay_another_conversation(monkeypatch):
    """Reads run in the thread pool. (Writes on SQLite are made one at a time, as SQLite takes
    them; on PostgreSQL they are not: tests/integration/test_databases.py.)"""
    from agentllm.store import ConversationStore

    handler = AgnoLLM(settings())
    started, release = hold_one_conversation(
        monkeypatch, ConversationStore, "read_for_turn", handler, "chat-slow"
    )
    await another_conversation_is_answered_meanwhile(
        handler, "agno/release-manager", started, release
    )


def test_a_stored_run_keeps_only_the_messages_its_turn_adds():
    """What ``ConversationStore.upsert_run`` stores of a run's input: an agent's input and a
    team's additional input lose the replayed (``from_history``) messages; the running run's own
    input object is left alone."""
    from agno.models.message import Message
    from agno.run.agent import RunInput, RunOutput
    from agno.run.team import TeamRunOutput

    from agentllm.turn_writes import drop_replayed_input

    old, new = (
        Message(role="user", content="old", from_history=True),
        Message(role="user", content="new"),
    )
    given = RunInput(input_content=[{"role": "user", "content": "old", "from_history": True}, new])
    run = RunOutput(run_id="r", input=given)
    drop_replayed_input(run)
    assert run.input.input_content == [new] and len(given.input_content) == 2
    team = TeamRunOutput(run_id="t", additional_input=[old, new])
    drop_replayed_input(team)
    assert team.additional_input == [new]

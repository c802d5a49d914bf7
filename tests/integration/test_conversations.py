"""Conversations through the real proxy: right history, exactly once, never another user's.

Every assertion reads the offline model's ``context:`` line, which lists each user message the
agent received, oldest first.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from agentllm.provider.identity import ANONYMOUS
from tests.support.store import stored_user_messages

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


def new_id() -> str:
    return uuid.uuid4().hex


def context(reply: str) -> list[str]:
    """The user messages the agent saw, from the offline model's reply."""
    line = reply.split("\ncontext: ", 1)[1]
    return line.split(" | ")


def ask(
    client, messages, *, session=None, user=None, owui_chat=None, owui_user=None, **kwargs
) -> str:
    headers = {}
    if session:
        headers["X-Session-Id"] = session
    if owui_chat:
        headers["X-OpenWebUI-Chat-Id"] = owui_chat
    if owui_user:
        headers["X-OpenWebUI-User-Id"] = owui_user
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    extra = {"user": user} if user else {}
    reply = client.chat.completions.create(
        model=AGENT, messages=messages, extra_headers=headers, **extra, **kwargs
    )
    return reply.choices[0].message.content


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


# 1. newest message only -------------------------------------------------------------------------


def test_second_turn_sees_first_turn_when_client_sends_only_the_newest_message(client):
    chat = new_id()
    assert context(ask(client, "alpha", session=chat)) == ["alpha"]
    assert context(ask(client, "beta", session=chat)) == ["alpha", "beta"]
    assert context(ask(client, "gamma", session=chat)) == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("how", ["header", "metadata.session_id", "metadata.chat_id"])
def test_every_way_of_naming_the_conversation_works(client, how):
    chat = new_id()

    def turn(text):
        if how == "header":
            return ask(client, text, session=chat)
        key = how.split(".")[1]
        return ask(client, text, extra_body={"metadata": {key: chat}})

    turn("one")
    assert context(turn("two")) == ["one", "two"]


def test_streamed_turns_are_stored_too(client):
    chat = new_id()
    list(
        client.chat.completions.create(
            model=AGENT,
            messages=[user("streamed")],
            stream=True,
            extra_headers={"X-Session-Id": chat},
        )
    )
    assert context(ask(client, "next", session=chat)) == ["streamed", "next"]


# 2. full history --------------------------------------------------------------------------------


def test_full_history_is_seen_exactly_once(client):
    chat = new_id()
    first = ask(client, [user("alpha")], session=chat)
    second = ask(client, [user("alpha"), assistant(first), user("beta")], session=chat)
    assert context(second) == ["alpha", "beta"]
    third = ask(
        client,
        [user("alpha"), assistant(first), user("beta"), assistant(second), user("gamma")],
        session=chat,
    )
    assert context(third) == ["alpha", "beta", "gamma"]
    # A client that switches to sending only the newest message still gets the history once.
    assert context(ask(client, "delta", session=chat)) == ["alpha", "beta", "gamma", "delta"]


def test_open_webui_style_full_history_every_turn(client):
    chat, who = new_id(), new_id()
    history = []
    for word in ["one", "two", "three", "four"]:
        history.append(user(word))
        reply = ask(client, history, owui_chat=chat, owui_user=who)
        assert context(reply) == [m["content"] for m in history if m["role"] == "user"]
        history.append(assistant(reply))
    assert stored_user_messages(client_proxy(client).db_path, who, chat) == [
        "one",
        "two",
        "three",
        "four",
    ]


def client_proxy(client):
    return client._agentllm_proxy


@pytest.fixture
def client(proxy):
    c = proxy.client()
    c._agentllm_proxy = proxy
    return c


# 3. edit and regenerate -------------------------------------------------------------------------


def test_regenerated_answer_replaces_the_old_branch(client):
    chat = new_id()
    a1 = ask(client, [user("alpha")], session=chat)
    ask(client, [user("alpha"), assistant(a1), user("beta")], session=chat)
    # Regenerate the answer to "beta": the client sends the same history again.
    regenerated = ask(client, [user("alpha"), assistant(a1), user("beta")], session=chat)
    assert context(regenerated) == ["alpha", "beta"]
    # Later turns follow the regenerated branch: "beta" appears once.
    assert context(ask(client, "gamma", session=chat)) == ["alpha", "beta", "gamma"]


def test_edited_earlier_message_wins_and_old_branch_never_leaks(client):
    chat = new_id()
    a1 = ask(client, [user("alpha")], session=chat)
    ask(client, [user("alpha"), assistant(a1), user("beta")], session=chat)
    edited = ask(client, [user("alpha-edited"), assistant(a1), user("delta")], session=chat)
    assert context(edited) == ["alpha-edited", "delta"]
    later = context(ask(client, "epsilon", session=chat))
    assert later == ["alpha-edited", "delta", "epsilon"]
    assert "alpha" not in later and "beta" not in later


def test_open_webui_edit_of_the_first_message_starts_over(client):
    chat, who = new_id(), new_id()
    a1 = ask(client, [user("first")], owui_chat=chat, owui_user=who)
    ask(client, [user("first"), assistant(a1), user("second")], owui_chat=chat, owui_user=who)
    # Open WebUI always sends the whole chat: an edited first message arrives alone.
    assert context(ask(client, [user("first-edited")], owui_chat=chat, owui_user=who)) == [
        "first-edited"
    ]
    assert stored_user_messages(client_proxy(client).db_path, who, chat) == ["first-edited"]


# 4. stateless -----------------------------------------------------------------------------------


def test_without_conversation_id_each_request_stands_alone(client):
    assert context(ask(client, "secret-one")) == ["secret-one"]
    assert context(ask(client, "other")) == ["other"]
    reply = ask(client, [user("x"), assistant("y"), user("z")])
    assert context(reply) == ["x", "z"]


# 5. isolation -----------------------------------------------------------------------------------


def test_another_user_with_the_same_chat_id_gets_a_new_conversation(client):
    chat = new_id()
    ask(client, "alice-secret", session=chat, user="alice")
    assert context(ask(client, "hello", session=chat, user="bob")) == ["hello"]
    assert context(ask(client, "hello", session=chat)) == ["hello"]  # anonymous
    assert context(ask(client, "again", session=chat, user="alice")) == ["alice-secret", "again"]


def test_open_webui_users_are_isolated(client):
    chat = new_id()
    ask(client, [user("mine")], owui_chat=chat, owui_user="u-a")
    assert context(ask(client, "theirs", session=chat, owui_user="u-b")) == ["theirs"]


def test_anonymous_conversations_are_their_own_namespace(client):
    chat = new_id()
    ask(client, "anon-1", session=chat)
    assert context(ask(client, "named", session=chat, user=ANONYMOUS + "-not")) == ["named"]
    assert context(ask(client, "anon-2", session=chat)) == ["anon-1", "anon-2"]


# 6. Open WebUI background tasks -----------------------------------------------------------------

HISTORY = "\n<chat_history>\nUSER: alpha\n</chat_history>"
TASKS = [
    "### Task:\nGenerate a concise, 3-5 word title summarizing the chat history." + HISTORY,
    "### Task:\nGenerate 1-3 broad tags categorizing the main themes." + HISTORY,
    "### Task:\nSuggest 3-5 relevant follow-up questions." + HISTORY,
]


def test_background_tasks_are_answered_but_not_stored(client):
    chat, who = new_id(), new_id()
    a1 = ask(client, [user("alpha")], owui_chat=chat, owui_user=who)
    for task in TASKS:
        reply = ask(client, [user(task)], owui_chat=chat, owui_user=who)
        assert reply.startswith("echo: ### Task:")
        assert context(reply) == [task]  # the task sees only itself, not the chat
    assert stored_user_messages(client_proxy(client).db_path, who, chat) == ["alpha"]
    second = ask(
        client, [user("alpha"), assistant(a1), user("beta")], owui_chat=chat, owui_user=who
    )
    assert context(second) == ["alpha", "beta"]
    assert stored_user_messages(client_proxy(client).db_path, who, chat) == ["alpha", "beta"]


def test_background_tasks_do_not_shape_history_for_newest_only_clients(client):
    chat = new_id()
    ask(client, "alpha", session=chat)
    ask(client, TASKS[0], session=chat)
    assert context(ask(client, "beta", session=chat)) == ["alpha", "beta"]


# 7. client tools --------------------------------------------------------------------------------


def _tool(i):
    return {
        "type": "function",
        "function": {
            "name": f"builtin_tool_{i}",
            "description": "Open WebUI built-in tool " + "x" * 600,
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }


def test_client_tools_are_accepted_and_ignored(client):
    tools = [_tool(i) for i in range(36)]
    reply = client.chat.completions.create(model=AGENT, messages=[user("with tools")], tools=tools)
    assert reply.choices[0].message.content == "echo: with tools\ncontext: with tools"
    assert not reply.choices[0].message.tool_calls
    chunks = list(
        client.chat.completions.create(model=AGENT, messages=[user("t")], tools=tools, stream=True)
    )
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == "echo: t\ncontext: t"
    )


# 8. concurrency ---------------------------------------------------------------------------------


async def test_concurrent_turns_on_one_conversation_are_all_stored(proxy):
    aclient = proxy.async_client()
    chat = new_id()
    words = [f"w{i}" for i in range(12)]
    replies = await asyncio.gather(
        *[
            aclient.chat.completions.create(
                model=AGENT, messages=[user(w)], extra_headers={"X-Session-Id": chat}
            )
            for w in words
        ]
    )
    assert all(r.choices[0].finish_reason == "stop" for r in replies)
    final = await aclient.chat.completions.create(
        model=AGENT, messages=[user("last")], extra_headers={"X-Session-Id": chat}
    )
    seen = context(final.choices[0].message.content)
    # num_history_runs=10 bounds what the agent is shown; the store keeps every turn.
    assert seen[-1] == "last" and len(seen) == 11 and set(seen[:-1]) <= set(words)
    assert sorted(stored_user_messages(proxy.db_path, ANONYMOUS, chat)) == sorted([*words, "last"])


async def test_conversations_never_wait_on_each_other(slow_proxy):
    aclient = slow_proxy.async_client()
    long_text = " ".join(f"word{i}" for i in range(40))  # ~80 streamed words: ~4 s
    stream = await aclient.chat.completions.create(
        model=AGENT,
        messages=[user(long_text)],
        stream=True,
        extra_headers={"X-Session-Id": new_id()},
    )
    chunks = aiter(stream)
    await anext(chunks)  # conversation A is now running and holds its lock
    other = await aclient.chat.completions.create(
        model=AGENT, messages=[user("quick")], extra_headers={"X-Session-Id": new_id()}
    )
    assert other.choices[0].message.content == "echo: quick\ncontext: quick"
    remaining = [c async for c in chunks]
    # B finished while A still had most of its reply to stream.
    assert len(remaining) > 40

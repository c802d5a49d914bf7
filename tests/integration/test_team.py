"""An Agno Team served like an agent: agno/release-team through the real proxy (offline model).

The team's leader runs on the offline model, so its reply's ``context:`` line shows every user
message the leader received; ``/tool delegate_task_to_member {...}`` makes it delegate.
"""

from __future__ import annotations

import base64
import os
import uuid

import pytest

from tests.support.store import stored_runs

pytestmark = pytest.mark.integration

TEAM = "agno/release-team"
DELEGATE = (
    '/tool delegate_task_to_member {"member_id": "changelog-writer", "task": "changelog for 1.3"}'
)


def context(reply: str) -> list[str]:
    return reply.split("\ncontext: ", 1)[1].split("\n")[0].split(" | ")


def say(client, messages, headers=None, stream=True) -> str:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if not stream:
        reply = client.chat.completions.create(
            model=TEAM, messages=messages, extra_headers=headers or {}
        )
        return reply.choices[0].message.content
    chunks = client.chat.completions.create(
        model=TEAM, messages=messages, extra_headers=headers or {}, stream=True
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_the_team_is_listed_beside_the_agent(client):
    ids = {m.id for m in client.models.list().data}
    assert {TEAM, "agno/release-manager"} <= ids


def test_the_leader_delegates_and_the_stream_shows_it(client):
    reply = say(client, f"plan 1.3\n{DELEGATE}")
    lines = reply.split("\n")
    assert lines[0].startswith('⚙ delegate_task_to_member {"member_id": "changelog-writer"')
    # The member (also on the offline model) answered the task it was given.
    assert "⚙ delegate_task_to_member → echo: changelog for 1.3 context: changelog for 1.3" in lines
    assert lines.index("echo: plan 1.3") > 2  # the answer follows the call
    assert reply.endswith(
        "tool delegate_task_to_member: echo: changelog for 1.3\ncontext: changelog for 1.3"
    )


def test_two_turns_sending_only_the_newest_message(client):
    chat = {"X-Session-Id": uuid.uuid4().hex}
    say(client, "first plan", chat)
    assert context(say(client, "second step", chat)) == ["first plan", "second step"]


def test_two_turns_with_the_whole_history_as_open_webui_sends_them(proxy, client):
    chat = uuid.uuid4().hex
    headers = {"X-OpenWebUI-Chat-Id": chat, "X-OpenWebUI-User-Id": "team-user"}
    first = say(client, f"alpha\n{DELEGATE}", headers)
    history = [
        {"role": "user", "content": f"alpha\n{DELEGATE}"},
        {"role": "assistant", "content": first},  # with the delegation shown in it
        {"role": "user", "content": "beta"},
    ]
    second = say(client, history, headers)
    assert second.split("\ncontext: ", 1)[1] == f"alpha\n{DELEGATE} | beta"
    history += [{"role": "assistant", "content": second}, {"role": "user", "content": "gamma"}]
    third = say(client, history, headers)
    assert third.split("\ncontext: ", 1)[1] == f"alpha\n{DELEGATE} | beta | gamma"
    runs = stored_runs(proxy.db_path, "team-user", chat, agent="release-team")
    statuses = [getattr(r.status, "value", r.status) for r in runs if not r.parent_run_id]
    assert statuses == ["COMPLETED"] * 3  # each turn stored once, none superseded


def test_history_the_store_has_never_seen_reaches_the_leader_once(client):
    messages = [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "an answer from elsewhere"},
        {"role": "user", "content": "two"},
    ]
    reply = say(client, messages, {"X-Session-Id": uuid.uuid4().hex}, stream=False)
    assert context(reply) == ["one", "two"]


def test_an_image_reaches_the_leader_and_the_turn_is_stored(proxy, client):
    picture = b"\x89PNG\r\n\x1a\n" + os.urandom(992)
    chat = uuid.uuid4().hex
    content = [
        {"type": "text", "text": "look"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + base64.b64encode(picture).decode()},
        },
    ]
    reply = say(client, [{"role": "user", "content": content}], {"X-Session-Id": chat})
    assert reply.startswith("echo: look [image image/png 1000 bytes]")
    assert context(say(client, "and?", {"X-Session-Id": chat})) == [
        "look [image reference image/png 1000 bytes]",
        "and?",
    ]

"""Tools an agent runs are shown while they happen, and the next turn's history stays exact.

The offline model calls a tool on a ``/tool <name> <json>`` line; the release manager's tool is
``get_chat_history``. Through the real proxy, the real agent and the official ``openai`` client.
"""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.support.store import stored_runs

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
CUE = '/tool get_chat_history {"num_chats": 1}\nWhat did we say?'
OPEN_WEBUI = {"X-OpenWebUI-User-Id": "u-tools", "X-OpenWebUI-Chat-Id": ""}
BLOCK = re.compile(r"^<details(\s+[^>]*)?>\n", re.MULTILINE)  # Open WebUI's tokenizer
ATTRIBUTE = re.compile(r'(\w+)="(.*?)"')


def open_webui(chat: str) -> dict[str, str]:
    return {**OPEN_WEBUI, "X-OpenWebUI-Chat-Id": chat}


def blocks(text: str) -> list[dict[str, str]]:
    return [dict(ATTRIBUTE.findall(m[0])) for m in BLOCK.finditer(text)]


def stream(client, messages, headers=None) -> tuple[list[str], list]:
    chunks = list(
        client.chat.completions.create(
            model=AGENT,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers or {},
        )
    )
    texts = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    return texts, chunks


def test_open_webui_sees_the_tool_start_at_once_then_its_result_then_the_answer(client):
    texts, chunks = stream(client, [{"role": "user", "content": CUE}], open_webui(uuid.uuid4().hex))
    started = next(i for i, t in enumerate(texts) if 'type="tool_progress"' in t)
    finished = next(i for i, t in enumerate(texts) if 'type="tool_calls"' in t)
    answered = next(i for i, t in enumerate(texts) if t.startswith("echo:"))
    assert started < finished < answered  # each in its own chunk, in the order they happened

    reply = "".join(texts)
    progress, call = blocks(reply)
    assert progress["done"] == "false" and progress["name"] == "get_chat_history"
    assert call["done"] == "true" and call["name"] == "get_chat_history"
    assert call["id"] == progress["id"]
    assert json.loads(html.unescape(call["arguments"])) == {"num_chats": 1}
    result = json.loads(html.unescape(call["result"]))
    assert json.loads(result) == []  # a new chat has no history yet
    assert reply.endswith(f"echo: {CUE}\ncontext: {CUE}\ntool get_chat_history: []")

    # Never an OpenAI tool call: the client would take it as a request to run the tool itself.
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert [f for f in finish if f] == ["stop"]
    assert chunks[-1].usage.completion_tokens > 0


def test_other_clients_see_one_plain_line_per_tool_event(client):
    texts, _ = stream(client, [{"role": "user", "content": CUE}])
    reply = "".join(texts)
    assert "<details" not in reply
    lines = reply.splitlines()
    assert '⚙ get_chat_history {"num_chats": 1} …' in lines
    assert "⚙ get_chat_history → []" in lines
    assert lines.index("⚙ get_chat_history → []") < lines.index(f"echo: {CUE.splitlines()[0]}")


def test_a_whole_reply_carries_the_finished_tool_call(client):
    reply = client.chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": CUE}],
        extra_headers=open_webui(uuid.uuid4().hex),
    )
    content = reply.choices[0].message.content
    assert [b["type"] for b in blocks(content)] == ["tool_calls"]
    assert content.endswith("tool get_chat_history: []")
    assert reply.choices[0].message.tool_calls is None


def test_a_failing_tool_is_shown_as_failed_and_the_agent_still_answers(client):
    cue = '/tool get_chat_history {"num_chats": "many"}\ngo'
    texts, chunks = stream(client, [{"role": "user", "content": cue}], open_webui("c-fail"))
    [_, call] = blocks("".join(texts))
    assert call["status"] == "failed"
    assert chunks[-1].usage is not None
    assert "".join(texts).rstrip().splitlines()[-1].startswith("tool get_chat_history:")


@pytest.mark.parametrize("headers", [open_webui("c-history"), {"X-Session-Id": "s-history"}])
def test_next_turn_with_the_shown_tool_calls_in_its_history_reconciles_exactly(
    proxy, client, headers
):
    chat = f"{uuid.uuid4().hex}"
    headers = {k: (chat if v.endswith("history") else v) for k, v in headers.items()}
    texts, _ = stream(client, [{"role": "user", "content": CUE}], headers)
    first = "".join(texts)
    assert "get_chat_history" in first.split("echo:")[0]  # shown before the answer

    # The client sends the reply back as it got it, tool calls included.
    history = [
        {"role": "user", "content": CUE},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "and then?"},
    ]
    second = "".join(stream(client, history, headers)[0])
    assert second.endswith(f"context: {CUE} | and then?")

    user = headers.get("X-OpenWebUI-User-Id", "anonymous")
    runs = stored_runs(proxy.db_path, user, chat)
    assert [r.status.value for r in runs] == ["COMPLETED", "COMPLETED"]  # nothing superseded
    # The shown tool calls are not stored as the agent's words.
    assert not any("<details" in (m.get_content_string() or "") for r in runs for m in r.messages)


def test_tool_display_off_shows_nothing(tmp_path):
    proxy = start_proxy(tmp_path, {"AGENTLLM_TOOL_DISPLAY": "off"})
    try:
        texts, _ = stream(proxy.client(), [{"role": "user", "content": CUE}], open_webui("c-off"))
        assert "".join(texts) == f"echo: {CUE}\ncontext: {CUE}\ntool get_chat_history: []"
    finally:
        stop_proxy(proxy)


def test_an_unknown_tool_display_setting_stops_the_server_naming_it(tmp_path):
    with pytest.raises(RuntimeError, match="AGENTLLM_TOOL_DISPLAY"):
        start_proxy(tmp_path, {"AGENTLLM_TOOL_DISPLAY": "loud"}, startup_timeout=60)

"""The same agents through LiteLLM's other chat APIs: OpenAI Responses and Anthropic Messages."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


def anthropic_events(proxy, body: dict) -> list[tuple[str, dict]]:
    """(event name, data) of a streamed ``/v1/messages`` answer."""
    with httpx.stream(
        "POST",
        f"{proxy.base_url}/messages",
        json={**body, "stream": True},
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=60,
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    data = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    assert [d["type"] for d in data] == names
    return list(zip(names, data, strict=True))


def test_responses_answer_is_one_assistant_message(client):
    reply = client.responses.create(model=AGENT, input="plan v1.2")
    assert reply.status == "completed"
    assert reply.model == AGENT
    [message] = reply.output
    assert (message.type, message.role, message.status) == ("message", "assistant", "completed")
    assert [part.type for part in message.content] == ["output_text"]
    assert reply.output_text == "echo: plan v1.2\ncontext: plan v1.2"
    usage = reply.usage
    assert usage.output_tokens == 6 and usage.input_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_responses_stream_ends_completed_with_the_whole_answer(slow_proxy):
    # A model that makes its words over time: several deltas, which the bridge must add up.
    client = slow_proxy.client()
    events = list(client.responses.create(model=AGENT, input="draft notes", stream=True))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == "echo: draft notes\ncontext: draft notes"
    completed = events[-1].response
    assert completed.status == "completed"
    assert completed.output_text == "".join(deltas)
    assert completed.usage.output_tokens == 6


def test_responses_input_items_and_instructions_reach_the_agent(client):
    reply = client.responses.create(
        model=AGENT,
        instructions="Be brief.",
        input=[
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": [{"type": "input_text", "text": "two"}]},
        ],
    )
    assert reply.output_text == "echo: two\ncontext: one | two"
    assert reply.instructions == "Be brief."


def test_messages_answer_is_one_text_block(proxy):
    response = httpx.post(
        f"{proxy.base_url}/messages",
        json={"model": AGENT, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert (reply["type"], reply["role"], reply["model"]) == ("message", "assistant", AGENT)
    assert reply["content"] == [{"type": "text", "text": "echo: hi\ncontext: hi"}]
    assert reply["stop_reason"] == "end_turn"
    assert reply["usage"]["output_tokens"] == 4 and reply["usage"]["input_tokens"] > 0


def test_messages_stream_is_one_text_block_then_the_stop(slow_proxy):
    # A model that makes its words over time: several deltas, all in one text block.
    body = {"model": AGENT, "max_tokens": 100, "messages": [{"role": "user", "content": "go on"}]}
    events = anthropic_events(slow_proxy, body)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[2:-3]) == {"content_block_delta"}
    assert events[0][1]["message"]["model"] == AGENT
    deltas = [data["delta"]["text"] for name, data in events if name == "content_block_delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == "echo: go on\ncontext: go on"
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == 6


def test_messages_system_blocks_and_history_reach_the_agent(proxy):
    body = {
        "model": AGENT,
        "max_tokens": 100,
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": [{"type": "text", "text": "first answer"}]},
            {"role": "user", "content": [{"type": "text", "text": "two"}]},
        ],
    }
    events = anthropic_events(proxy, body)
    deltas = [data["delta"]["text"] for name, data in events if name == "content_block_delta"]
    assert "".join(deltas) == "echo: two\ncontext: one | two"


def test_reasoning_options_clients_send_by_default_are_accepted(proxy, client):
    # An agent decides how it reasons; a client's reasoning switch must not fail the request
    # (Claude Code-style clients send `thinking`, OpenAI ones `reasoning_effort`/`reasoning`).
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "go"}], reasoning_effort="low"
    )
    assert reply.choices[0].message.content == "echo: go\ncontext: go"
    response = client.responses.create(model=AGENT, input="go", reasoning={"effort": "low"})
    assert response.output_text == "echo: go\ncontext: go"
    for thinking in ({"type": "disabled"}, {"type": "enabled", "budget_tokens": 1024}):
        answer = httpx.post(
            f"{proxy.url}/v1/messages",
            headers={"x-api-key": proxy.key},
            json={
                "model": AGENT,
                "max_tokens": 2000,
                "thinking": thinking,
                "messages": [{"role": "user", "content": "go"}],
            },
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["content"][0]["text"] == "echo: go\ncontext: go"

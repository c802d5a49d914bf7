"""The core promise, end to end: the real proxy, the real agent, the official openai client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


def test_models_lists_agents_and_gemini(client):
    ids = {m.id for m in client.models.list().data}
    assert {AGENT, "gemini-2.5-pro", "gemini-2.5-flash"} <= ids
    assert not any("*" in i for i in ids)


def test_non_streaming_answer_comes_from_the_agent(client):
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "plan v1.2"}]
    )
    choice = reply.choices[0]
    assert choice.message.content == "echo: plan v1.2\ncontext: plan v1.2"
    assert choice.finish_reason == "stop"
    assert reply.usage.completion_tokens == 6
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streaming_arrives_whole_with_one_finish_reason_and_usage(client):
    stream = client.chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "draft release notes"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(texts) == "echo: draft release notes\ncontext: draft release notes"
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["stop"]
    usage = [c.usage for c in chunks if c.usage]
    assert usage and usage[-1].completion_tokens == 8 and usage[-1].prompt_tokens > 0


def test_a_model_that_produces_words_over_time_streams_each_word_as_made(slow_proxy):
    stream = slow_proxy.client().chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "draft release notes"}], stream=True
    )
    texts = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    # One chunk per word: each is sent while the next is still being made, never held back.
    assert texts == [
        "echo:",
        " draft",
        " release",
        " notes",
        "\ncontext:",
        " draft",
        " release",
        " notes",
    ]


async def test_async_client_non_streaming_and_streaming(aclient):
    reply = await aclient.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "async hi"}]
    )
    assert reply.choices[0].message.content == "echo: async hi\ncontext: async hi"
    stream = await aclient.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "async stream"}], stream=True
    )
    texts = [
        c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content
    ]
    assert "".join(texts) == "echo: async stream\ncontext: async stream"


def test_raw_sse_stream_is_well_formed(proxy):
    with httpx.stream(
        "POST",
        f"{proxy.base_url}/chat/completions",
        headers={"Authorization": f"Bearer {proxy.key}"},
        json={"model": AGENT, "messages": [{"role": "user", "content": "sse"}], "stream": True},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert all(p["object"] == "chat.completion.chunk" for p in payloads)
    text = "".join(p["choices"][0]["delta"].get("content") or "" for p in payloads if p["choices"])
    assert text == "echo: sse\ncontext: sse"


@pytest.mark.parametrize("stream", [False, True])
def test_the_agent_calls_its_tool_on_the_offline_models_cue(client, stream):
    chat = {"X-Session-Id": f"tool-cue-{stream}"}
    client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "first"}], extra_headers=chat
    )
    cue = '/tool get_chat_history {"num_chats": 1}'
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": cue}], extra_headers=chat, stream=stream
    )
    text = (
        "".join(c.choices[0].delta.content or "" for c in reply if c.choices)
        if stream
        else reply.choices[0].message.content
    )
    lines = text.split("\n")
    # The chat-history tool really ran, inside the agent, on the stored conversation.
    assert lines[-1].startswith('tool get_chat_history: [{"id": ')
    assert "echo: first" in lines[-1]
    following = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "next"}], extra_headers=chat
    )
    assert following.choices[0].message.content.endswith(f"context: first | {cue} | next")


def test_thinking_streams_as_reasoning_content_before_the_answer(client):
    cue = "/think weigh the risks first\nShip it?"
    stream = client.chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": cue}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c for c in stream]
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    thought = [getattr(d, "reasoning_content", None) or "" for d in deltas]
    said = [d.content or "" for d in deltas]
    assert "".join(thought) == "weigh the risks first"
    assert "".join(said) == f"echo: {cue}\ncontext: {cue}"
    first_said = next(i for i, text in enumerate(said) if text)
    assert all(not text for text in thought[first_said:])  # the thought comes first
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["stop"]
    usage = [c.usage for c in chunks if c.usage]
    assert usage and usage[-1].completion_tokens > 0
    # One id for the whole stream, as OpenAI clients expect.
    assert len({c.id for c in chunks}) == 1


def test_thinking_streams_word_by_word_as_the_model_thinks(slow_proxy):
    stream = slow_proxy.client().chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "/think weigh the risks first\nShip it?"}],
        stream=True,
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]
    thought = [t for d in deltas if (t := getattr(d, "reasoning_content", None))]
    assert thought == ["weigh", " the", " risks", " first"]  # streamed, not buffered


def test_thinking_is_the_messages_reasoning_content_when_not_streaming(client):
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "/think short\nGo"}]
    )
    message = reply.choices[0].message
    assert getattr(message, "reasoning_content", None) == "short"
    assert message.content == "echo: /think short\nGo\ncontext: /think short\nGo"


def test_max_tokens_cuts_the_reply_with_finish_reason_length(client):
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "one two three four five"}], max_tokens=3
    )
    assert reply.choices[0].message.content == "echo: one two"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 3


def test_max_tokens_length_when_streaming(client):
    chunks = list(
        client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": "one two three four"}],
            max_tokens=2,
            stream=True,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: one"
    assert [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ] == ["length"]


def test_sampling_parameters_are_accepted(client):
    reply = client.chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "x"}],
        temperature=0.2,
        top_p=0.9,
        seed=7,
        stop=["zzz"],
        max_tokens=50,
    )
    assert reply.choices[0].message.content == "echo: x\ncontext: x"


def test_system_message_and_text_parts_are_honoured(client):
    reply = client.chat.completions.create(
        model=AGENT,
        messages=[
            {"role": "system", "content": "Answer in French."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "part one"},
                    {"type": "text", "text": "part two"},
                ],
            },
        ],
    )
    assert (
        reply.choices[0].message.content == "echo: part one\npart two\ncontext: part one\npart two"
    )


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic abc"}]
)
def test_missing_or_wrong_key_gets_401_openai_error(proxy, headers):
    for method, path, body in (
        ("GET", "/v1/models", None),
        (
            "POST",
            "/v1/chat/completions",
            {"model": AGENT, "messages": [{"role": "user", "content": "x"}]},
        ),
    ):
        response = httpx.request(
            method, f"{proxy.url}{path}", headers=headers, json=body, timeout=30
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"]["message"]


def test_openai_sdk_raises_authentication_error_for_a_wrong_key(proxy):
    bad = openai.OpenAI(base_url=proxy.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_unknown_agent_gets_404_naming_the_available_agents(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="agno/nope", messages=[{"role": "user", "content": "x"}]
        )
    assert AGENT in str(caught.value)


def test_unknown_agent_when_streaming_fails_before_the_stream(client):
    with pytest.raises(openai.NotFoundError):
        list(
            client.chat.completions.create(
                model="agno/nope", messages=[{"role": "user", "content": "x"}], stream=True
            )
        )


def test_gemini_without_key_gets_a_clear_401(client):
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
        )
    assert "GEMINI_API_KEY" in str(caught.value)


@pytest.mark.parametrize("path", ["/health/liveliness", "/health/readiness"])
def test_health_checks_need_no_key(proxy, path):
    assert httpx.get(f"{proxy.url}{path}", timeout=30).status_code == 200


def test_request_system_message_follows_the_agents_instructions(proxy, client):
    from tests.support.store import stored_runs

    chat = "system-message-check"
    client.chat.completions.create(
        model=AGENT,
        messages=[
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "bonjour"},
        ],
        extra_headers={"X-Session-Id": chat},
    )
    system = stored_runs(proxy.db_path, "anonymous", chat)[-1].messages[0]
    assert system.role == "system"
    text = system.get_content_string()
    assert "release manager" in text
    assert text.index("release manager") < text.index("Answer in French.")

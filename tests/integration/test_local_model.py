"""The local model through the real proxy: ``AGENTLLM_MODEL=local``, the ``openai`` client.

Asserts behaviour only (chunks, usage, limits, history reaching the model), never wording: the
model is SmolLM2-135M-Instruct run by llama.cpp in the proxy process (the ``local`` extra, which
``make test`` installs).
"""

from __future__ import annotations

import asyncio
import re
import uuid

import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.integration.test_lifecycle import wait_for

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    running = start_proxy(
        tmp_path_factory.mktemp("local"),
        # debug: the model logs how each generation ended (read by the disconnect test).
        {"AGENTLLM_MODEL": "local", "AGENTLLM_LOG_LEVEL": "debug"},
    )
    yield running
    stop_proxy(running)


def streamed(client, messages, session, **kwargs):
    """Text chunks, finish reasons and the usage of one streamed reply."""
    chunks = list(
        client.chat.completions.create(
            model=AGENT,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"X-Session-Id": session},
            **kwargs,
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    usage = [c.usage for c in chunks if c.usage]
    assert usage, "the stream carried no usage"
    return texts, finish, usage[-1]


def test_streams_a_real_reply_in_several_chunks_with_usage(local):
    texts, finish, usage = streamed(
        local.client(),
        [{"role": "user", "content": "Say hello to the release team."}],
        uuid.uuid4().hex,
        max_tokens=48,
    )
    assert len(texts) > 1 and "".join(texts).strip()
    assert finish in (["stop"], ["length"])
    assert usage.prompt_tokens > 0
    assert 0 < usage.completion_tokens <= 48
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_max_tokens_stops_the_reply_with_length(local):
    texts, finish, usage = streamed(
        local.client(),
        [{"role": "user", "content": "Write a long story about a release that went wrong."}],
        uuid.uuid4().hex,
        max_tokens=6,
    )
    assert finish == ["length"]
    assert 0 < usage.completion_tokens <= 6
    assert texts


def test_the_second_turn_reaches_the_model_with_the_first(local):
    client, chat = local.client(), uuid.uuid4().hex
    question = {"role": "user", "content": "Our next release is called Nightingale."}
    first, _, first_usage = streamed(client, [question], chat, max_tokens=24, temperature=0)
    history = [
        question,
        {"role": "assistant", "content": "".join(first)},
        {"role": "user", "content": "What is our next release called?"},
    ]
    _, _, second_usage = streamed(client, history, chat, max_tokens=24, temperature=0)
    # The model's own prompt count: the second prompt holds the first question and its answer.
    assert second_usage.prompt_tokens > first_usage.prompt_tokens + len(first)


async def test_concurrent_requests_are_all_answered(local):
    client = local.async_client()

    async def one(n: int) -> int:
        stream = await client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": f"Give me reason number {n} to ship today."}],
            stream=True,
            max_tokens=12,
        )
        return len([c async for c in stream if c.choices and c.choices[0].delta.content])

    counts = await asyncio.gather(*(one(n) for n in range(3)))
    assert all(count > 0 for count in counts)


def test_a_missing_gguf_file_stops_the_proxy_at_start_up(tmp_path):
    missing = tmp_path / "missing.gguf"
    with pytest.raises(RuntimeError, match="no GGUF file") as caught:
        proxy = start_proxy(tmp_path, {"AGENTLLM_MODEL": f"llamacpp:{missing}"})
        stop_proxy(proxy)
    assert "proxy exited with 2" in str(caught.value)


def test_a_conversation_past_the_context_window_is_a_400(local):
    with pytest.raises(openai.BadRequestError) as caught:
        streamed(
            local.client(),
            [{"role": "user", "content": "Hello"}],
            uuid.uuid4().hex,
            max_tokens=5000,
        )
    assert "context window" in caught.value.message


def test_a_client_that_disconnects_stops_the_generation(local):
    before = len(re.findall(r"local model generation \d+:", local.log()))
    stream = local.client().chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "Write a very long story about a cat."}],
        stream=True,
        max_tokens=1500,
        extra_headers={"X-Session-Id": uuid.uuid4().hex},
    )
    received = 0
    for chunk in stream:
        received += bool(chunk.choices and chunk.choices[0].delta.content)
        if received == 3:
            break
    stream.close()  # the client goes away mid-reply

    def ended():
        found = re.findall(r"local model generation \d+: (\w+) after (\d+) tokens", local.log())
        return found[before:]

    outcome = wait_for(ended, seconds=120)
    assert outcome, "the generation never ended"
    reason, tokens = outcome[0]
    assert reason == "cancelled"
    assert int(tokens) < 1500


def test_a_non_streaming_reply_has_usage_and_its_finish_reason(local):
    reply = local.client().chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": "Write a long poem about version numbers."}],
        max_tokens=7,
        extra_headers={"X-Session-Id": uuid.uuid4().hex},
    )
    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "length"
    assert 0 < reply.usage.completion_tokens <= 7
    assert reply.usage.prompt_tokens > 0

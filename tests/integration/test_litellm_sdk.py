"""LiteLLM's Python SDK with the provider registered, no proxy."""

from __future__ import annotations

import base64

import litellm
import pytest

from agentllm.provider.handler import AgnoLLM

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def registered(tmp_path_factory):
    previous = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [{"provider": "agno", "custom_handler": AgnoLLM()}]
    litellm.utils.custom_llm_setup()
    yield
    litellm.custom_provider_map = previous


def test_completion_runs_the_agent():
    reply = litellm.completion(
        model="agno/release-manager", messages=[{"role": "user", "content": "sdk"}]
    )
    assert reply.choices[0].message.content == "echo: sdk\ncontext: sdk"
    assert reply.usage.completion_tokens == 4


def test_sync_streaming_yields_each_word_as_the_model_makes_it(monkeypatch):
    from agno.agent import Agent

    from agentllm import agents
    from agentllm.agents import AgentSpec
    from agentllm.models.offline import OfflineModel

    slow = AgentSpec(
        name="slowpoke",
        description="makes a word every 50 ms",
        factory=lambda **_: Agent(model=OfflineModel(delay=0.05)),
    )
    monkeypatch.setattr(agents, "registry", lambda: {"slowpoke": slow})
    chunks = list(
        litellm.completion(
            model="agno/slowpoke",
            messages=[{"role": "user", "content": "sync stream test"}],
            stream=True,
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    words = ["echo:", " sync", " stream", " test", "\ncontext:", " sync", " stream", " test"]
    assert texts == words
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_sync_streaming_delivers_the_whole_answer():
    chunks = list(
        litellm.completion(
            model="agno/release-manager",
            messages=[{"role": "user", "content": "sync stream test"}],
            stream=True,
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert "".join(texts) == "echo: sync stream test\ncontext: sync stream test"
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_acompletion_and_async_streaming():
    reply = await litellm.acompletion(
        model="agno/release-manager", messages=[{"role": "user", "content": "a"}]
    )
    assert reply.choices[0].message.content == "echo: a\ncontext: a"
    stream = await litellm.acompletion(
        model="agno/release-manager", messages=[{"role": "user", "content": "b c"}], stream=True
    )
    texts = [c.choices[0].delta.content async for c in stream if c.choices[0].delta.content]
    assert "".join(texts) == "echo: b c\ncontext: b c"


def test_bad_request_and_unknown_agent_raise_litellm_exceptions():
    with pytest.raises(litellm.BadRequestError):
        litellm.completion(
            model="agno/release-manager", messages=[{"role": "user", "content": "x"}], temperature=5
        )
    with pytest.raises(litellm.NotFoundError, match="release-manager"):
        litellm.completion(model="agno/nope", messages=[{"role": "user", "content": "x"}])


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 92
IMAGE_TURN = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "look"},
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
            },
        ],
    }
]
IMAGE_REPLY = "echo: look [image image/png 100 bytes]\ncontext: look [image image/png 100 bytes]"


def test_images_reach_the_agent_on_the_sync_paths():
    reply = litellm.completion(model="agno/release-manager", messages=IMAGE_TURN)
    assert reply.choices[0].message.content == IMAGE_REPLY
    chunks = litellm.completion(model="agno/release-manager", messages=IMAGE_TURN, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == IMAGE_REPLY


async def test_images_reach_the_agent_on_the_async_paths():
    reply = await litellm.acompletion(model="agno/release-manager", messages=IMAGE_TURN)
    assert reply.choices[0].message.content == IMAGE_REPLY
    stream = await litellm.acompletion(
        model="agno/release-manager", messages=IMAGE_TURN, stream=True
    )
    assert "".join([c.choices[0].delta.content or "" async for c in stream]) == IMAGE_REPLY


def test_a_bad_image_raises_a_bad_request_error():
    bad = [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}],
        }
    ]
    with pytest.raises(litellm.BadRequestError, match=r"messages\[0\]\.content\[0\]"):
        litellm.completion(model="agno/release-manager", messages=bad)
    with pytest.raises(litellm.BadRequestError, match="'file:'"):
        litellm.completion(model="agno/release-manager", messages=bad, stream=True)

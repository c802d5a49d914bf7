"""Agno's Gemini as the agents run it, against the fake Gemini API (in-process, no proxy)."""

from __future__ import annotations

import pytest
from agno.agent import Agent

from agentllm.models import build_model
from tests.support import fake_gemini as gemini
from tests.support.fake_gemini import FakeGemini

KEY = "AIzaFakeKeyForUnitTests0123456789"


@pytest.fixture(scope="module")
def fake():
    with FakeGemini() as server:
        yield server


@pytest.fixture
def agent(fake, monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "google:gemini-2.5-flash")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_API_BASE", f"{fake.url}/v1beta")
    return Agent(model=build_model("google:gemini-2.5-flash", max_tokens=50))


async def run(agent: Agent):
    """The agent's streamed run, as the provider drives it: (events, run output)."""
    events = [e async for e in agent.arun("hi", stream=True, yield_run_output=True)]
    return events[:-1], events[-1]


async def test_gemini_is_called_at_gemini_api_base_with_the_key(agent, fake):
    fake.script(gemini.answer("Hello", " there"))
    _, output = await run(agent)
    assert output.content == "Hello there"
    [request] = fake.requests
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.headers["x-goog-api-key"] == KEY
    assert gemini.generation_config(request)["maxOutputTokens"] == 50


def test_sync_runs_reach_gemini_api_base_too(agent, fake):
    fake.script(gemini.answer("Hello"))
    output = list(agent.run("hi", stream=True, yield_run_output=True))[-1]
    assert output.content == "Hello"
    assert fake.requests[0].path.startswith("/v1beta/models/")

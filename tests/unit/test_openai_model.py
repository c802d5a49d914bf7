"""Agno's OpenAIChat as the agents run it, against a fake OpenAI-compatible server (in-process)."""

from __future__ import annotations

import pytest
from agno.agent import Agent

from agentllm.models import build_model
from agentllm.models.openai import OpenAIChat, retry_after
from agentllm.provider.events import run_item
from agentllm.provider.types import Finished
from tests.support import fake_openai as server
from tests.support.fake_openai import FakeOpenAI

MODEL = "agno/release-manager"


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def agent(fake):
    # No retries by the openai SDK here: one scripted error is one answer.
    model = OpenAIChat(id=server.MODEL, base_url=f"{fake.url}/v1", api_key="k", max_retries=0)
    return Agent(model=model)


def test_openai_chat_models_are_built_as_ours(monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "openai-chat:llama3.2")
    model = build_model("google:gemini-2.5-flash", max_tokens=7)
    assert isinstance(model, OpenAIChat)
    assert (model.id, model.max_tokens) == ("llama3.2", 7)


@pytest.mark.parametrize(
    ("headers", "message", "seconds"),
    [
        ({"retry-after": "20"}, "", 20),
        ({}, "Please try again in 20s. Visit ...", 20),
        ({}, "Please try again in 1.5s.", 2),
        ({}, "Please try again in 120ms.", 1),
        ({}, "slow down", None),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, "", None),
    ],
)
def test_retry_delay_from_header_or_message(headers, message, seconds):
    assert retry_after(headers, message) == seconds


@pytest.mark.parametrize(
    ("reply", "reason"), [(server.answer("Done."), "stop"), (server.cut_off("Rel"), "length")]
)
async def test_the_run_ends_with_the_servers_finish_reason(agent, fake, reply, reason):
    fake.script(reply)
    events = [e async for e in agent.arun("hi", stream=True, yield_run_output=True)]
    finished = run_item(events[-1], MODEL)
    assert isinstance(finished, Finished) and finished.reason == reason


@pytest.mark.parametrize(
    ("kind", "status", "advice"),
    [
        ("bad_key", 401, "check OPENAI_API_KEY"),
        ("rate_limited", 429, "retry after 20 s"),
        ("bad_request", 400, "change the request"),
        ("overloaded", 503, "retry in a moment"),
    ],
)
async def test_the_servers_error_reaches_the_provider_with_its_status(
    agent, fake, kind, status, advice
):
    fake.script(server.error(kind))
    events = [e async for e in agent.arun("hi", stream=True, yield_run_output=True)]
    [error_event] = [e for e in events if getattr(e, "event", None) == "RunError"]
    with pytest.raises(Exception) as caught:
        run_item(error_event, MODEL)
    assert caught.value.status_code == status
    assert advice in str(caught.value)
    assert f"the server at {fake.url}/v1/chat/completions answered {status}" in str(caught.value)


async def test_credentials_in_the_base_url_never_reach_the_client(fake):
    url = fake.url.replace("http://", "http://admin:s3cret@") + "/v1"
    model = OpenAIChat(id=server.MODEL, base_url=url, api_key="k", max_retries=0)
    fake.script(server.error("bad_key"))
    events = [e async for e in Agent(model=model).arun("hi", stream=True, yield_run_output=True)]
    [error_event] = [e for e in events if getattr(e, "event", None) == "RunError"]
    with pytest.raises(Exception) as caught:
        run_item(error_event, MODEL)
    assert "s3cret" not in str(caught.value) and "admin" not in str(caught.value)
    assert f"the server at {fake.url}/v1/chat/completions answered 401" in str(caught.value)

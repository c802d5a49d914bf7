"""Agno's Gemini as the agents run it, against the fake Gemini API (in-process, no proxy)."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from agno.agent import Agent
from agno.team import Team
from agno.workflow import Step, Workflow

from agentllm.models import build_model
from agentllm.provider.errors import run_failure
from agentllm.provider.events import run_item
from agentllm.provider.types import Finished
from tests.support import fake_gemini as gemini
from tests.support.fake_gemini import FakeGemini, Usage

KEY = "fake-gemini-key-for-unit-tests"
MODEL = "agno/release-manager"


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


def test_with_only_a_key_each_agent_runs_on_its_own_default_model(monkeypatch):
    monkeypatch.delenv("AGENTLLM_MODEL")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    model = build_model("google:gemini-2.5-pro")
    assert (type(model).__name__, model.id, model.api_key) == ("Gemini", "gemini-2.5-pro", KEY)


def test_a_configured_model_wins_over_the_agents_default(monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "google:gemini-2.5-flash")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert build_model("google:gemini-2.5-pro").id == "gemini-2.5-flash"


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


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (gemini.answer("Done."), "stop"),
        (gemini.cut_off("Release 2.0 ships", " on"), "length"),
        (gemini.blocked_answer(), "content_filter"),
        (gemini.blocked_prompt(), "content_filter"),
    ],
)
async def test_the_run_ends_with_geminis_finish_reason(agent, fake, reply, reason):
    fake.script(reply)
    _, output = await run(agent)
    assert run_item(output, MODEL) == Finished(reason, ANY)


async def test_usage_counts_thoughts_as_completion_tokens_like_openai(agent, fake):
    fake.script(gemini.answer("Yes.", thoughts=("Hmm.",), usage=Usage(20, 6, 7)))
    _, output = await run(agent)
    usage = run_item(output, MODEL).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (20, 13, 33)


async def test_a_blocked_prompt_still_reports_its_prompt_tokens(agent, fake):
    fake.script(gemini.blocked_prompt(Usage(prompt=9, candidates=0)))
    _, output = await run(agent)
    usage = run_item(output, MODEL).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 0, 9)


def failure(events) -> Exception:
    """The LiteLLM exception the provider raises for a run that ended in an error event."""
    [error] = [e for e in events if getattr(e, "event", None) == "RunError"]
    with pytest.raises(Exception) as caught:
        run_item(error, MODEL)
    return caught.value


@pytest.mark.parametrize(
    ("kind", "status"), [("bad_key", 401), ("rate_limited", 429), ("overloaded", 503)]
)
async def test_geminis_error_reaches_the_provider_with_its_status(agent, fake, kind, status):
    # Agno reads an aiohttp response's body as `response.text`, a method: the body would be lost.
    fake.script(gemini.error(kind))
    events = [e async for e in agent.arun("hi", stream=True, yield_run_output=True)]
    error = failure(events)
    assert error.status_code == status
    assert gemini.ERRORS[kind][1]["message"].strip() in str(error)


def test_geminis_error_reaches_the_provider_from_sync_runs_too(agent, fake):
    fake.script(gemini.error("rate_limited"))
    error = failure(list(agent.run("hi", stream=True, yield_run_output=True)))
    assert error.status_code == 429
    assert error.headers == {"retry-after": "37"}


async def test_a_dropped_stream_is_a_failed_run(agent, fake):
    fake.script(gemini.dropped("Release ", "2.0"))
    events = [e async for e in agent.arun("hi", stream=True, yield_run_output=True)]
    assert "retry the message" in str(failure(events))


RETRIED = 5  # every attempt Agno makes fails alike (a workflow step retries)


def answered_from_the_carried_error(events, kinds) -> None:
    """Each error event of ``kinds`` maps to the rate limit Gemini sent, Retry-After included."""
    errors = [e for e in events if getattr(e, "event", None) in kinds]
    assert errors
    for event in errors:
        error = run_failure(event, MODEL)
        assert error.status_code == 429
        assert error.headers == {"retry-after": "37"}


async def test_a_team_leaders_gemini_error_reaches_the_provider_with_its_retry_delay(agent, fake):
    team = Team(members=[Agent(name="helper", model=agent.model)], model=agent.model)
    fake.script(gemini.error("rate_limited", times=RETRIED))
    events = [e async for e in team.arun("hi", stream=True, stream_events=True)]
    answered_from_the_carried_error(events, ("TeamRunError",))


async def test_a_workflow_steps_gemini_error_reaches_the_provider_with_its_retry_delay(agent, fake):
    workflow = Workflow(steps=[Step(name="draft", agent=agent)])
    fake.script(gemini.error("rate_limited", times=RETRIED))
    events = [e async for e in workflow.arun("hi", stream=True, stream_events=True)]
    # the step's agent's event, once per attempt (the workflow then completes, step skipped)
    answered_from_the_carried_error(events, ("RunError",))

"""A model vendor's HTTP error: read, carried through Agno as a value, and explained to the
client."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import litellm
import pytest
from agno.run.agent import RunErrorEvent, RunOutput
from agno.run.base import RunStatus
from agno.run.team import RunErrorEvent as TeamRunErrorEvent
from agno.run.workflow import StepErrorEvent, WorkflowErrorEvent
from litellm.llms.vertex_ai.common_utils import VertexAIError

from agentllm.provider.errors import run_failure
from agentllm.proxy.hooks import gemini_errors
from agentllm.upstream import CARRIED, Carried, UpstreamError, for_client, from_gemini_body
from tests.support.fake_gemini import ERRORS


def body(kind: str) -> dict:
    """A copy of the fake's error body of ``kind`` (tests change theirs)."""
    return {"error": copy.deepcopy(ERRORS[kind][1])}


def test_gemini_error_body_gives_status_reason_and_retry_delay():
    error = from_gemini_body(body("rate_limited"))
    assert error is not None
    assert (error.status, error.reason, error.retry_after) == (429, "RESOURCE_EXHAUSTED", 37)
    assert error.message.startswith("You exceeded your current quota")
    assert (error.provider, error.key_variable) == ("Gemini", "GEMINI_API_KEY")


def test_error_info_reason_wins_over_the_canonical_status():
    error = from_gemini_body(body("bad_key"))
    assert error is not None and (error.status, error.reason) == (400, "API_KEY_INVALID")


@pytest.mark.parametrize("delay", ["37s", "36.2s", "36.000000001s"])
def test_retry_delay_rounds_up_to_whole_seconds(delay):
    raw = body("rate_limited")
    raw["error"]["details"] = [{"@type": "x/google.rpc.RetryInfo", "retryDelay": delay}]
    error = from_gemini_body(raw)
    assert error is not None and error.retry_after == 37


RATE_LIMITED = UpstreamError("Gemini", "GEMINI_API_KEY", 429, "slow down", "RESOURCE_EXHAUSTED", 7)


def test_a_carried_error_is_found_by_the_token_its_message_ends_with():
    carried = Carried()
    message = carried.message(RATE_LIMITED)
    assert message.startswith("Gemini answered 429 RESOURCE_EXHAUSTED: slow down [upstream-error ")
    assert carried.find(message) is RATE_LIMITED
    # as a workflow step reports its agent's failure
    assert carried.find(f"Step 'draft' executor (agent) failed: {message}") is RATE_LIMITED


def test_the_words_alone_are_not_a_carried_error():
    carried = Carried()
    message = carried.message(RATE_LIMITED)
    assert carried.find(message.rsplit(" [", 1)[0]) is None
    assert carried.find(Carried().message(RATE_LIMITED)) is None  # kept elsewhere
    assert carried.find("") is None


def test_each_raise_gets_its_own_token():
    carried = Carried()
    assert carried.message(RATE_LIMITED) != carried.message(RATE_LIMITED)


def test_only_the_newest_carried_errors_are_kept():
    carried = Carried(limit=2)
    first, second, third = (carried.message(RATE_LIMITED) for _ in range(3))
    assert carried.find(first) is None
    assert carried.find(second) is carried.find(third) is RATE_LIMITED


@pytest.mark.parametrize(
    ("kind", "status", "advice"),
    [
        ("bad_key", 401, "check GEMINI_API_KEY"),
        ("unauthenticated", 401, "check GEMINI_API_KEY"),
        ("permission_denied", 403, "check GEMINI_API_KEY"),
        ("rate_limited", 429, "retry after 37 s"),
        ("bad_request", 400, "change the request"),
        ("internal", 502, "retry"),
        ("overloaded", 503, "retry in a moment"),
    ],
)
def test_client_gets_the_openai_status_and_what_to_do(kind, status, advice):
    error = from_gemini_body(body(kind))
    assert error is not None
    reply = for_client(error)
    assert reply.status == status
    assert advice in reply.message
    assert error.message.strip() in reply.message
    assert reply.retry_after == (37 if status == 429 else None)


@pytest.mark.parametrize(
    ("status", "expected"), [(404, 502), (408, 504), (504, 504), (413, 400), (599, 502)]
)
def test_other_statuses(status, expected):
    reply = for_client(UpstreamError("Gemini", "GEMINI_API_KEY", status, "odd"))
    assert reply.status == expected


def failed_runs(message: str) -> list:
    """Each way Agno reports a failed run whose model raised an exception saying ``message``."""
    output = RunOutput(status=RunStatus.error, content="partial answer")
    output.events = [RunErrorEvent(content=message, error_type="model_provider_error")]
    return [
        RunErrorEvent(content=message, error_type="model_provider_error"),
        TeamRunErrorEvent(content=message, error_type="model_provider_error"),
        StepErrorEvent(error=f"Step 'draft' executor (agent) failed: {message}"),
        WorkflowErrorEvent(error=f"Step 'draft' executor (agent) failed: {message}"),
        RunOutput(status=RunStatus.error, content=message),
        output,
    ]


@pytest.mark.parametrize(
    ("kind", "exception", "status"),
    [
        ("bad_key", litellm.AuthenticationError, 401),
        ("permission_denied", litellm.PermissionDeniedError, 403),
        ("rate_limited", litellm.RateLimitError, 429),
        ("bad_request", litellm.BadRequestError, 400),
        ("internal", litellm.BadGatewayError, 502),
        ("overloaded", litellm.ServiceUnavailableError, 503),
    ],
)
def test_a_failed_run_that_carries_an_upstream_error_is_answered_from_it(kind, exception, status):
    upstream = from_gemini_body(body(kind))
    assert upstream is not None
    for failed in failed_runs(CARRIED.message(upstream)):
        error = run_failure(failed, "agno/x")
        assert isinstance(error, exception)
        assert error.status_code == status
        assert "agent 'agno/x'" in str(error) and upstream.message.strip() in str(error)
        if status == 429:
            assert error.headers == {"retry-after": "37"}


def test_without_its_token_the_same_words_lose_the_retry_delay():
    message = CARRIED.message(RATE_LIMITED).rsplit(" [", 1)[0]
    error = run_failure(RunErrorEvent(content=message, error_type="model_provider_error"), "x")
    assert isinstance(error, litellm.RateLimitError)  # from the hints: the last resort
    assert not error.headers


@pytest.mark.parametrize(
    ("error_type", "message", "exception", "status"),
    [
        ("model_authentication_error", "GOOGLE_API_KEY not set", litellm.AuthenticationError, 401),
        (
            "model_provider_error",
            "API key not valid. Please pass a valid API key.",
            litellm.AuthenticationError,
            401,
        ),
        ("model_provider_error", "429 RESOURCE_EXHAUSTED", litellm.RateLimitError, 429),
        ("model_provider_error", "Rate limit reached", litellm.RateLimitError, 429),
        ("TimeoutError", "", litellm.Timeout, 504),
        ("ReadTimeout", "read timed out", litellm.Timeout, 504),
        (
            "model_provider_error",
            "context window exceeded",
            litellm.ContextWindowExceededError,
            400,
        ),
        ("model_provider_error", "500 INTERNAL", litellm.BadGatewayError, 502),
        (None, "something broke", litellm.BadGatewayError, 502),
    ],
)
def test_failures_no_model_of_ours_carried_map_by_type_then_by_hints(
    error_type, message, exception, status
):
    error = run_failure(RunErrorEvent(content=message, error_type=error_type), "agno/x")
    assert isinstance(error, exception)
    assert error.status_code == status


@pytest.fixture
def proxy_config(monkeypatch):
    monkeypatch.setenv("CONFIG_FILE_PATH", str(Path(__file__).parents[2] / "proxy_config.yaml"))


def litellm_gemini_error(raw: dict, stream: bool) -> Exception:
    """The exception LiteLLM 1.108 hands the hook for Gemini's error ``raw``, raised as it raises
    it: a ``VertexAIError`` while handling httpx's error (streaming), mapped to a LiteLLM class
    while handling that (not streaming). Their messages here do not quote the body."""
    request = httpx.Request("POST", "https://generativelanguage.googleapis.com/v1beta/x")
    response = httpx.Response(raw["error"]["code"], json=raw, request=request)
    try:
        try:
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError:
                raise VertexAIError(status_code=response.status_code, message="elided")  # noqa: B904
        except VertexAIError:
            if stream:
                raise
            raise litellm.InternalServerError(  # noqa: B904
                message="elided", llm_provider="gemini", model="gemini-2.5-flash"
            )
    except Exception as error:
        return error
    raise AssertionError("unreachable")


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(("kind", "status"), [("overloaded", 503), ("rate_limited", 429)])
async def test_litellms_gemini_entries_answer_with_geminis_status_and_advice(
    proxy_config, stream, kind, status
):
    found = await gemini_errors.async_post_call_failure_hook(
        {"model": "gemini-2.5-flash"}, litellm_gemini_error(body(kind), stream), None
    )
    assert found is not None and found.status_code == status
    assert ERRORS[kind][1]["message"].strip() in found.detail
    assert found.headers == ({"retry-after": "37"} if status == 429 else None)


async def test_the_hook_leaves_agents_and_other_errors_alone(proxy_config):
    raw = body("overloaded")
    assert (
        await gemini_errors.async_post_call_failure_hook(
            {"model": "agno/release-manager"}, litellm_gemini_error(raw, True), None
        )
        is None
    )
    for other in (RuntimeError("connection reset"), RuntimeError(json.dumps(raw))):
        assert (
            await gemini_errors.async_post_call_failure_hook(
                {"model": "gemini-2.5-flash"}, other, None
            )
            is None
        )

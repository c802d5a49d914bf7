"""A model vendor's HTTP error: read, carried through Agno intact, and explained to the client."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import litellm
import pytest

from agentllm.provider.errors import error_for
from agentllm.proxy.hooks import gemini_errors
from agentllm.upstream import UpstreamError, for_client, from_gemini_body, gemini_error_in
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


@pytest.mark.parametrize("text", ["", "no json here", '{"error": "Unauthorized"}', "[1, 2]"])
def test_text_without_a_gemini_error_body_gives_none(text):
    assert gemini_error_in(text) is None


@pytest.mark.parametrize(
    "quote",
    [
        lambda raw: f"GeminiException - {raw}",
        lambda raw: f"Error code: 400 - {raw.encode()!r}",  # LiteLLM's streaming errors
    ],
)
def test_gemini_body_is_found_where_litellm_quotes_it(quote):
    raw = body("bad_request")
    raw["error"]["message"] = "Invalid JSON payload. Unknown name \"foo\" at 'generation_config'."
    error = gemini_error_in(quote(json.dumps(raw)))
    assert error is not None
    assert error.message == raw["error"]["message"]


def test_upstream_error_survives_a_round_trip_through_text():
    error = UpstreamError("Gemini", "GEMINI_API_KEY", 429, "slow down", "RESOURCE_EXHAUSTED", 7)
    assert UpstreamError.decode(error.encode()) == error
    assert UpstreamError.decode("Response payload is not completed") is None


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
def test_error_for_an_agent_run_that_carries_an_upstream_error(kind, exception, status):
    upstream = from_gemini_body(body(kind))
    assert upstream is not None
    error = error_for("model_provider_error", upstream.encode(), "agno/x")
    assert isinstance(error, exception)
    assert error.status_code == status
    assert "agent 'agno/x'" in str(error) and upstream.message.strip() in str(error)
    if status == 429:
        assert error.headers == {"retry-after": "37"}


@pytest.fixture
def proxy_config(monkeypatch):
    monkeypatch.setenv("CONFIG_FILE_PATH", str(Path(__file__).parents[2] / "proxy_config.yaml"))


@pytest.mark.parametrize(
    "exception",
    [
        # as LiteLLM raises them: mapped (not streaming), raw with the body as bytes (streaming)
        lambda raw: litellm.InternalServerError(
            message=f"GeminiException - {raw}", llm_provider="gemini", model="gemini-2.5-flash"
        ),
        lambda raw: RuntimeError(repr(raw.encode())),
    ],
)
async def test_litellms_gemini_entries_answer_with_geminis_status_and_advice(
    proxy_config, exception
):
    raw = json.dumps(body("overloaded"))
    found = await gemini_errors.async_post_call_failure_hook(
        {"model": "gemini-2.5-flash"}, exception(raw), None
    )
    assert found is not None and found.status_code == 503
    assert "retry in a moment" in found.detail


async def test_the_hook_leaves_agents_and_other_errors_alone(proxy_config):
    raw = json.dumps(body("overloaded"))
    assert (
        await gemini_errors.async_post_call_failure_hook(
            {"model": "agno/release-manager"}, RuntimeError(raw), None
        )
        is None
    )
    assert (
        await gemini_errors.async_post_call_failure_hook(
            {"model": "gemini-2.5-flash"}, RuntimeError("connection reset"), None
        )
        is None
    )

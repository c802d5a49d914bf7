"""Upstream failures reach the client as the right HTTP status; completed turns are kept."""

from __future__ import annotations

import uuid

import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
SCRIPTED = "python:tests.support.scripted_model:ScriptedModel"


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    running = start_proxy(
        tmp_path_factory.mktemp("failing"),
        {"AGENTLLM_MODEL": SCRIPTED, "AGENTLLM_REQUEST_TIMEOUT": "3"},
    )
    yield running
    stop_proxy(running)


def ask(proxy, text, chat=None, stream=False):
    headers = {"X-Session-Id": chat} if chat else {}
    client = proxy.client()
    if stream:
        chunks = client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": text}],
            stream=True,
            extra_headers=headers,
        )
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reply = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": text}], extra_headers=headers
    )
    return reply.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("cue", "error", "status"),
    [
        ("fail:auth", openai.AuthenticationError, 401),
        ("fail:rate", openai.RateLimitError, 429),
        ("fail:500", openai.APIStatusError, 502),
        ("fail:timeout", openai.APIStatusError, 504),
        ("hang", openai.APIStatusError, 504),
    ],
)
def test_model_failures_map_to_http_statuses(failing, cue, error, status, stream):
    with pytest.raises(error) as caught:
        ask(failing, cue, stream=stream)
    assert caught.value.status_code == status
    assert caught.value.message


def test_failure_mid_stream_ends_the_stream_with_an_error(failing):
    client = failing.client()
    received = []
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "fail:midstream"}], stream=True
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received  # some words arrived before the failure


@pytest.mark.parametrize("cue", ["fail:500", "fail:midstream", "hang"])
def test_failed_turns_are_not_stored_and_completed_turns_are_kept(failing, cue):
    chat = uuid.uuid4().hex
    assert ask(failing, "first", chat).endswith("context: first")
    with pytest.raises(openai.APIError):
        ask(failing, cue, chat, stream=cue == "fail:midstream")
    assert ask(failing, "second", chat).endswith("context: first | second")


def test_server_keeps_serving_after_failures(failing):
    assert ask(failing, "still alive") == "echo: still alive\ncontext: still alive"

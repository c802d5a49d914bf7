"""An agent on an OpenAI-compatible server (Ollama, vLLM, ...), offline: the real proxy and Agno
against a fake chat completions server, reached with ``AGENTLLM_MODEL=openai-chat:<model>`` and
the openai SDK's own ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``."""

from __future__ import annotations

import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.support import fake_openai as server
from tests.support.chat import ask, usage_of
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
KEY = "sk-fake-key-for-the-openai-compatible-tests-0123"


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as running:
        yield running


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, fake):
    running = start_proxy(
        tmp_path_factory.mktemp("openai-compatible"),
        {
            "AGENTLLM_MODEL": f"openai-chat:{server.MODEL}",
            "OPENAI_BASE_URL": f"{fake.url}/v1",
            "OPENAI_API_KEY": KEY,
        },
    )
    yield running
    stop_proxy(running)


@pytest.fixture
def script(fake):
    yield fake.script
    fake.script()


@pytest.mark.parametrize("stream", [True, False])
def test_answer_arrives_with_the_servers_usage(proxy, fake, script, stream):
    reply = server.answer("Release 2.0 ", "ships on ", "Friday.")
    if stream:
        reply.gate_at = 2  # the rest waits until the client has the first piece
    script(reply)
    answer = ask(
        proxy,
        AGENT,
        stream=stream,
        max_tokens=64,
        temperature=0.2,
        on_first_piece=reply.gate.set if stream else None,
    )
    assert answer.text == "Release 2.0 ships on Friday."
    assert answer.finish == "stop"
    assert usage_of(answer) == (15, 5, 20)
    if stream:
        # Pieces that arrive together may leave as one chunk (provider/ahead.py); the first one
        # reached the client before the server sent the rest.
        assert not reply.gate_timed_out, "the first piece reached the client only after the last"
        assert len(answer.pieces) >= 2
    [request] = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == server.MODEL
    assert (request.body["max_tokens"], request.body["temperature"]) == (64, 0.2)


@pytest.mark.parametrize("stream", [True, False])
def test_agent_calls_its_tool_and_answers_with_the_result(proxy, fake, script, stream):
    script(
        server.tool_call("get_chat_history", {"num_chats": 2}),
        server.answer("Nothing yet.", prompt=40, completion=3),
    )
    answer = ask(proxy, AGENT, "What did I say?", stream=stream)
    shown, said = answer.text.rsplit("\n\n", 1)
    assert said == "Nothing yet."
    assert shown.endswith("⚙ get_chat_history → []")  # the call, shown before the answer
    assert shown.startswith('⚙ get_chat_history {"num_chats": 2} …') == stream
    assert usage_of(answer) == (15 + 40, 3 + 3, 61)
    first, second = fake.requests
    assert "get_chat_history" in str(first.body["tools"])
    [result] = server.tool_results(second)
    assert result["content"] == "[]"  # no conversation id: no history


@pytest.mark.parametrize("stream", [True, False])
def test_max_tokens_cut_finishes_with_length(proxy, script, stream):
    script(server.cut_off("Release 2.0", " ships"))
    answer = ask(proxy, AGENT, stream=stream, max_tokens=2)
    assert (answer.text, answer.finish) == ("Release 2.0 ships", "length")


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("kind", "error", "status", "advice"),
    [
        ("bad_key", openai.AuthenticationError, 401, "OPENAI_API_KEY"),
        ("rate_limited", openai.RateLimitError, 429, "retry after 20 s"),
        ("bad_request", openai.BadRequestError, 400, "max_tokens is too large"),
        ("internal", openai.InternalServerError, 502, "retry"),
        ("overloaded", openai.InternalServerError, 503, "retry"),
    ],
)
def test_server_errors_reach_the_client_as_openai_errors(
    proxy, script, kind, error, status, advice, stream
):
    script(server.error(kind, times=3))  # the openai SDK inside Agno asks up to three times
    with pytest.raises(error) as caught:
        ask(proxy, AGENT, stream=stream)
    assert caught.value.status_code == status
    assert advice in caught.value.message
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "20"


def test_key_never_reaches_the_log(proxy, script):
    script(server.answer("ok"), server.error("bad_key"))
    ask(proxy, AGENT)
    with pytest.raises(openai.AuthenticationError):
        ask(proxy, AGENT)
    assert KEY not in proxy.log()

"""The Gemini path offline: the real proxy, Agno and LiteLLM against a fake Gemini API.

One proxy serves both ways to Gemini: the agent (``AGENTLLM_MODEL=google:gemini-2.5-flash``,
Agno's Gemini on google-genai) and LiteLLM's own ``gemini-2.5-flash`` entry. Both reach the fake
through ``GEMINI_API_BASE``; each test scripts what "Gemini" answers.
"""

from __future__ import annotations

import uuid
from typing import Any

import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.support import fake_gemini as gemini
from tests.support.chat import ask, usage_of
from tests.support.fake_gemini import FakeGemini, Usage

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
DIRECT = "gemini-2.5-flash"
BOTH = [AGENT, DIRECT]
KEY = "fake-gemini-key-for-integration-tests"  # not key-shaped: redacted by value


@pytest.fixture(scope="module")
def fake():
    with FakeGemini() as server:
        yield server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, fake):
    running = start_proxy(
        tmp_path_factory.mktemp("gemini"),
        {
            "AGENTLLM_MODEL": "google:gemini-2.5-flash",
            "GEMINI_API_KEY": KEY,
            "GEMINI_API_BASE": f"{fake.url}/v1beta",
        },
    )
    yield running
    stop_proxy(running)


@pytest.fixture
def script(fake):
    """Script the fake for this test: ``script(reply, ...)``."""
    yield fake.script
    fake.script()


# --- answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", BOTH)
def test_answer_streams_piece_by_piece_as_gemini_sends_it(proxy, fake, script, model):
    reply = gemini.answer("Release 2.0 ", "ships on ", "Friday ", "after the freeze.")
    reply.gate_at = 2  # the rest waits until the client has the first piece
    script(reply)
    answer = ask(proxy, model, stream=True, on_first_piece=reply.gate.set)
    assert not reply.gate_timed_out, "the first piece reached the client only after the last"
    assert answer.text == "Release 2.0 ships on Friday after the freeze."
    # Pieces that arrive together may leave as one chunk (provider/ahead.py).
    assert len(answer.pieces) >= 2
    assert answer.finish == "stop"
    assert usage_of(answer) == (20, 6, 26)
    [request] = fake.requests
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.query == {"alt": ["sse"]}
    assert request.headers["x-goog-api-key"] == KEY


@pytest.mark.parametrize("model", BOTH)
def test_whole_answer_reports_geminis_token_usage(proxy, script, model):
    script(gemini.answer("Friday.", usage=Usage(prompt=31, candidates=2)))
    answer = ask(proxy, model)
    assert answer.text == "Friday."
    assert answer.finish == "stop"
    assert usage_of(answer) == (31, 2, 33)


@pytest.mark.parametrize("model", BOTH)
def test_sampling_parameters_reach_gemini(proxy, fake, script, model):
    script(gemini.answer("ok"))
    ask(proxy, model, stream=True, temperature=0.25, max_tokens=64, top_p=0.5, stop=["END"])
    config = gemini.generation_config(fake.requests[0])
    assert config["temperature"] == 0.25
    assert config["maxOutputTokens"] == 64
    assert config["topP"] == 0.5
    assert config["stopSequences"] == ["END"]


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", BOTH)
def test_thoughts_arrive_as_reasoning_content(proxy, script, model, stream):
    script(gemini.answer("Ship on Friday.", thoughts=("Weighing the freeze. ", "Friday works.")))
    answer = ask(proxy, model, stream=stream)
    assert answer.reasoning == "Weighing the freeze. Friday works."
    assert answer.text == "Ship on Friday."
    # OpenAI counts reasoning in completion_tokens; Gemini counts thoughts apart.
    assert usage_of(answer) == (20, 6 + 7, 33)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", BOTH)
def test_max_tokens_cut_finishes_with_length(proxy, script, model, stream):
    script(gemini.cut_off("Release 2.0 ships", " on"))
    answer = ask(proxy, model, stream=stream, max_tokens=3)
    assert answer.text == "Release 2.0 ships on"
    assert answer.finish == "length"


@pytest.mark.parametrize("blocked", [gemini.blocked_prompt, gemini.blocked_answer])
@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", BOTH)
def test_safety_block_finishes_with_content_filter(proxy, script, model, stream, blocked):
    script(blocked())
    answer = ask(proxy, model, stream=stream)
    assert answer.finish == "content_filter"
    assert answer.text == ""


# --- the agent's tool ----------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_agent_calls_its_tool_and_answers_with_the_result(proxy, fake, script, stream):
    chat = uuid.uuid4().hex
    script(gemini.answer("Noted: Friday."))
    ask(proxy, AGENT, "We ship on Friday.", chat=chat)
    script(
        gemini.function_call("get_chat_history", {"num_chats": 2}, Usage(prompt=40, candidates=3)),
        gemini.answer("You said Friday.", usage=Usage(prompt=60, candidates=4)),
    )
    answer = ask(proxy, AGENT, "What did I say?", stream=stream, chat=chat)
    # The call is shown before the answer (one plain line per event for an SDK client; a
    # whole reply shows only the finished call).
    shown, said = answer.text.rsplit("\n\n", 1)
    assert said == "You said Friday."
    started = '⚙ get_chat_history {"num_chats": 2} …'
    assert shown.split("\n\n")[:-1] == ([started] if stream else [])
    assert shown.split("\n\n")[-1].startswith("⚙ get_chat_history → [")
    assert "We ship on Friday." in shown
    assert answer.finish == "stop"
    assert usage_of(answer) == (100, 7, 107)
    first, second = fake.requests
    assert "get_chat_history" in str(first.body["tools"])
    [call] = gemini.function_calls(second)
    assert call["thoughtSignature"] == gemini.SIGNATURE  # replayed as Gemini requires
    [result] = gemini.function_responses(second)
    assert result["name"] == "get_chat_history"
    assert "We ship on Friday." in str(result["response"])


def test_litellm_gemini_returns_tool_calls_and_takes_their_results(proxy, fake, script):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_chat_history",
                "description": "The chat so far.",
                "parameters": {"type": "object", "properties": {"num_chats": {"type": "integer"}}},
            },
        }
    ]
    script(gemini.function_call("get_chat_history", {"num_chats": 1}))
    client = proxy.client()
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What did I say?"}]
    first = client.chat.completions.create(model=DIRECT, messages=messages, tools=tools)
    [call] = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_chat_history"
    script(gemini.answer("You said Friday."))
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '["We ship on Friday."]'},
    ]
    second = client.chat.completions.create(model=DIRECT, messages=messages, tools=tools)
    assert second.choices[0].message.content == "You said Friday."
    [result] = gemini.function_responses(fake.requests[0])
    assert result["name"] == "get_chat_history"
    assert "We ship on Friday." in str(result["response"])


# --- failures -------------------------------------------------------------------------------

ERRORS = [
    # what Gemini answered, what the client gets, what the message tells it to do
    ("bad_key", openai.AuthenticationError, 401, "GEMINI_API_KEY"),
    ("unauthenticated", openai.AuthenticationError, 401, "GEMINI_API_KEY"),
    ("permission_denied", openai.PermissionDeniedError, 403, "GEMINI_API_KEY"),
    ("rate_limited", openai.RateLimitError, 429, "retry after 37 s"),
    ("bad_request", openai.BadRequestError, 400, "max_output_tokens must be positive"),
    ("internal", openai.InternalServerError, 502, "retry"),
    ("overloaded", openai.InternalServerError, 503, "retry"),
]


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", BOTH)
@pytest.mark.parametrize(("kind", "error", "status", "advice"), ERRORS)
def test_gemini_errors_reach_the_client_as_openai_errors(
    proxy, script, model, stream, kind, error, status, advice
):
    script(gemini.error(kind, times=3))
    with pytest.raises(error) as caught:
        ask(proxy, model, stream=stream)
    assert caught.value.status_code == status
    assert advice in caught.value.message
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "37"


@pytest.mark.parametrize("model", BOTH)
def test_dropped_stream_is_an_error_not_a_short_answer(proxy, script, model):
    script(gemini.dropped("Release 2.0 ", "ships on"))
    received: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in proxy.client().chat.completions.create(
            model=model, messages=[{"role": "user", "content": "When?"}], stream=True
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
            assert not (chunk.choices and chunk.choices[0].finish_reason)
    assert "".join(received) == "Release 2.0 ships on"  # what came before the drop


@pytest.mark.parametrize("stream", [True, False])
def test_turn_lost_to_a_dropped_stream_leaves_the_conversation_intact(proxy, fake, script, stream):
    chat = uuid.uuid4().hex
    script(gemini.answer("Noted."))
    ask(proxy, AGENT, "We ship on Friday.", chat=chat)
    script(gemini.dropped("The freeze ", "starts"))
    with pytest.raises(openai.APIError):
        ask(proxy, AGENT, "When is the freeze?", stream=stream, chat=chat)
    script(gemini.answer("Friday, then."))
    assert ask(proxy, AGENT, "And the release?", chat=chat).text == "Friday, then."
    texts = [p.get("text") for p in gemini.parts_of(fake.requests[0])]
    assert texts == ["We ship on Friday.", "Noted.", "And the release?"]


def test_key_never_reaches_the_log(proxy, script):
    # LiteLLM asks three times on a 429 before it gives up.
    script(gemini.answer("ok"), gemini.error("bad_key"), gemini.error("rate_limited", times=3))
    ask(proxy, AGENT)
    for _ in range(2):
        with pytest.raises(openai.APIStatusError):
            ask(proxy, DIRECT)
    assert KEY not in proxy.log()

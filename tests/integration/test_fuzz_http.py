"""Fuzzing the real proxy over HTTP: whatever a client sends, the answer is never a 5xx.

Hypothesis builds bodies for the three chat endpoints (OpenAI chat completions, OpenAI
responses, Anthropic-style messages) from the pieces clients get wrong (roles, content and its
parts, parameters, nesting) mixed with well-formed ones, and headers (``Authorization`` forms,
conversation ids, content type and encoding) around a well-formed body. Every answer must be a
200 or a JSON 4xx error with a message and a type, and a well-formed request to the same
endpoint must keep working after each one.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
EXAMPLES = int(os.environ.get("AGENTLLM_FUZZ_EXAMPLES", "150"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Endpoint:
    """A chat endpoint: its path, a well-formed body, and what ends a successful stream."""

    path: str
    good: dict[str, Any]
    stream_end: str


CHAT = Endpoint(
    "/chat/completions",
    {"model": AGENT, "messages": [{"role": "user", "content": "still fine"}]},
    "data: [DONE]",
)
RESPONSES = Endpoint(
    "/responses", {"model": AGENT, "input": "still fine"}, '"type":"response.completed"'
)
MESSAGES = Endpoint(
    "/messages",
    {"model": AGENT, "max_tokens": 50, "messages": [{"role": "user", "content": "still fine"}]},
    "event: message_stop",
)
ENDPOINTS = {e.path: e for e in (CHAT, RESPONSES, MESSAGES)}


def assert_answer_is_fine(response: httpx.Response, endpoint: Endpoint, stream: Any) -> None:
    """A 2xx (a stream that ends properly) or a 4xx whose JSON body says what was wrong."""
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        error = response.json()["error"]  # the Anthropic-style envelope has it too
        assert isinstance(error["message"], str) and error["message"], error
        assert isinstance(error["type"], str) and error["type"], error
    elif stream is True:
        assert endpoint.stream_end in response.text, response.text[-300:]


def assert_still_serving(http: httpx.Client, base_url: str, endpoint: Endpoint) -> None:
    good = http.post(f"{base_url}{endpoint.path}", json=endpoint.good)
    assert good.status_code == 200, good.text[:500]


def send(proxy, endpoint: Endpoint, raw: bytes, stream: Any, headers: dict | None = None) -> None:
    auth = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=30, headers=auth) as http:
        response = http.post(f"{proxy.base_url}{endpoint.path}", content=raw, headers=headers)
        assert_answer_is_fine(response, endpoint, stream)
        assert_still_serving(http, proxy.base_url, endpoint)


# --- pieces shared by the bodies ----------------------------------------------------------------

leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
value = st.recursive(
    leaf,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
model = st.sampled_from([AGENT, "agno/", "agno/nope", "", 5]) | leaf
stream = st.booleans() | leaf
temperature = st.floats(allow_nan=False, min_value=-3, max_value=3) | leaf
token_limit = st.integers(min_value=-2, max_value=50) | leaf
tools = value | st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["function", "custom", "web_search", "mcp", "x"])
            | st.sampled_from(["tool_search", "namespace", "file_search", "local_shell"])
            | leaf
        },
        optional={
            "function": value
            | st.fixed_dictionaries({"name": leaf}, optional={"parameters": value}),
            "name": leaf,
            "description": leaf,
            "parameters": value,
            "input_schema": value,
            "strict": leaf,
            "format": value,
            "tools": value,
            "execution": st.sampled_from(["client", "server"]) | leaf,
            "defer_loading": leaf,
        },
    ),
    max_size=2,
)
image_url = st.text(max_size=30) | st.sampled_from(
    ["data:image/png;base64,AAAA", "https://example.com/a.png", "file:///etc/passwd"]
)

# --- OpenAI chat completions --------------------------------------------------------------------

chat_part = (
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url", "input_audio", "file", "wizard", "", 7])},
        optional={
            "text": st.text(max_size=20) | leaf,
            "image_url": st.fixed_dictionaries({"url": st.text(max_size=30)}) | leaf,
        },
    )
    | value
)
chat_content = st.text(max_size=30) | st.none() | st.integers() | st.lists(chat_part, max_size=3)
chat_role = st.sampled_from(
    ["user", "assistant", "system", "developer", "tool", "function", "", None, 3]
)
chat_message = (
    st.fixed_dictionaries(
        {"role": chat_role, "content": chat_content | value},
        optional={"name": leaf, "tool_calls": value, "tool_call_id": leaf},
    )
    | value
)
good_chat_message = st.fixed_dictionaries(
    {"role": st.just("user"), "content": st.text(min_size=1, max_size=30)}
)
chat_body = st.fixed_dictionaries(
    {"model": model, "messages": st.lists(chat_message | good_chat_message, max_size=4) | value},
    optional={
        "stream": stream,
        "temperature": temperature,
        "max_tokens": token_limit,
        "top_p": leaf,
        "stop": leaf | st.lists(leaf, max_size=3),
        "user": leaf,
        "metadata": value,
        "tools": tools,
        "tool_choice": leaf | value,
        "response_format": value
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "json_object", "json_schema", "x"])}
        ),
        "n": leaf,
        "seed": leaf,
        "max_completion_tokens": leaf,
        "stream_options": value,
    },
)

# --- OpenAI responses ---------------------------------------------------------------------------

responses_part = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["input_text", "input_image", "input_file", "output_text", "refusal", "text"]
            )
            | st.sampled_from(["wizard", "", 7, None])
        },
        optional={
            "text": st.text(max_size=20) | leaf,
            "image_url": image_url | leaf | value,
            "detail": st.sampled_from(["auto", "low", "high", "x"]) | leaf,
            "file_id": leaf,
            "file_data": leaf,
            "annotations": value,
        },
    )
    | value
)
responses_message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system", "developer", "tool", "", None, 3]),
        "content": st.text(max_size=30) | st.none() | st.lists(responses_part, max_size=3) | value,
    },
    optional={"type": st.sampled_from(["message", "x"]) | leaf, "id": leaf, "status": leaf},
)
responses_item = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["function_call", "function_call_output", "reasoning", "item_reference", "message"]
        )
        | st.sampled_from(["custom_tool_call", "web_search_call", "x"])
        | leaf
    },
    optional={
        "id": leaf,
        "call_id": leaf,
        "name": leaf,
        "arguments": leaf | value,
        "output": leaf | value,
        "summary": value,
        "content": value,
        "role": leaf,
        "status": st.sampled_from(["completed", "in_progress", "x"]) | leaf,
        "action": value
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["search", "open_page", "x"]) | leaf},
            optional={"query": leaf, "url": leaf},
        ),
    },
)
good_responses_message = st.fixed_dictionaries(
    {"role": st.just("user"), "content": st.text(min_size=1, max_size=30)}
)
responses_body = st.fixed_dictionaries(
    {
        "model": model,
        "input": st.text(max_size=30)
        | st.lists(responses_message | responses_item | good_responses_message | value, max_size=4)
        | value,
    },
    optional={
        "stream": stream,
        "instructions": st.text(max_size=20) | leaf | value,
        "temperature": temperature,
        "max_output_tokens": token_limit,
        "top_p": leaf,
        "user": leaf,
        "metadata": value,
        "tools": tools,
        "tool_choice": leaf | value,
        "text": value
        | st.fixed_dictionaries(
            {
                "format": st.fixed_dictionaries(
                    {"type": st.sampled_from(["text", "json_object", "json_schema"]) | leaf},
                    optional={"name": leaf, "schema": value, "strict": leaf},
                )
            },
            optional={"verbosity": leaf},
        ),
        "reasoning": value
        | st.fixed_dictionaries(
            {"effort": st.sampled_from(["low", "high"]) | leaf}, optional={"summary": leaf}
        ),
        "parallel_tool_calls": leaf,
        "truncation": leaf,
        "include": value,
        "store": leaf,
        "stream_options": value,
        "previous_response_id": leaf | st.just("resp_abc"),
        "conversation": leaf | value,
        "background": leaf,
        "prompt": value,
        "max_tool_calls": leaf,
        "top_logprobs": leaf,
        "service_tier": leaf,
        "context_management": value,
    },
)

# --- Anthropic-style messages -------------------------------------------------------------------

anthropic_block = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["text", "image", "document", "tool_use", "tool_result", "thinking"]
            )
            | st.sampled_from(["redacted_thinking", "wizard", "", 7, None])
        },
        optional={
            "text": st.text(max_size=20) | leaf,
            "source": value
            | st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["base64", "url", "text"]) | leaf,
                    "media_type": st.sampled_from(["image/png", "text/plain"]) | leaf,
                    "data": leaf,
                    "url": image_url | leaf,
                }
            ),
            "id": leaf,
            "name": leaf,
            "input": value,
            "tool_use_id": leaf,
            "content": st.text(max_size=20) | value,
            "thinking": leaf,
            "signature": leaf,
            "cache_control": value,
        },
    )
    | value
)
anthropic_message = (
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", "tool", "", None, 3]),
            "content": st.text(max_size=30)
            | st.none()
            | st.integers()
            | st.lists(anthropic_block, max_size=3)
            | value,
        }
    )
    | value
)
good_anthropic_message = st.fixed_dictionaries(
    {"role": st.just("user"), "content": st.text(min_size=1, max_size=30)}
)
messages_body = st.fixed_dictionaries(
    {
        "model": model,
        "max_tokens": token_limit,
        "messages": st.lists(anthropic_message | good_anthropic_message, max_size=4) | value,
    },
    optional={
        "stream": stream,
        "system": st.text(max_size=20) | st.lists(anthropic_block, max_size=2) | value,
        "temperature": temperature,
        "top_p": leaf,
        "top_k": leaf,
        "stop_sequences": leaf | st.lists(leaf, max_size=3),
        "metadata": value | st.fixed_dictionaries({"user_id": leaf}),
        "tools": tools,
        "tool_choice": leaf
        | value
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["auto", "any", "tool", "none", "x"]) | leaf},
            optional={"name": leaf},
        ),
        "thinking": value
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["enabled", "disabled"]) | leaf},
            optional={"budget_tokens": leaf},
        ),
    },
)


def maybe_stream(payload: Any) -> Any:
    return payload.get("stream") if isinstance(payload, dict) else None


@fuzz
@given(payload=chat_body)
def test_no_chat_body_gets_a_5xx_and_the_proxy_keeps_serving(proxy, payload):
    send(proxy, CHAT, json.dumps(payload).encode(), maybe_stream(payload))


@fuzz
@given(payload=responses_body)
def test_no_responses_body_gets_a_5xx_and_the_proxy_keeps_serving(proxy, payload):
    send(proxy, RESPONSES, json.dumps(payload).encode(), maybe_stream(payload))


@fuzz
@given(payload=messages_body)
def test_no_messages_body_gets_a_5xx_and_the_proxy_keeps_serving(proxy, payload):
    send(proxy, MESSAGES, json.dumps(payload).encode(), maybe_stream(payload))


# --- headers ------------------------------------------------------------------------------------

KEY = "<the key>"  # replaced by the proxy's key in the test
# Bytes an HTTP/1.1 client can put in a header value (h11 refuses NUL, CR, LF and other
# whitespace than space and tab, and whitespace at either end), Latin-1 and UTF-8 included.
inner_byte = st.integers(min_value=1, max_value=255).filter(lambda b: b not in b"\n\r\x0b\x0c")
edge_byte = inner_byte.filter(lambda b: b not in b" \t")
header_bytes = st.builds(
    lambda first, middle, last: bytes([first, *middle, last]),
    edge_byte,
    st.lists(inner_byte, max_size=40),
    edge_byte,
)
header_value = (
    header_bytes
    | st.text(st.characters(codec="utf-8", exclude_characters="\x00\n\r\x0b\x0c"), max_size=20).map(
        lambda t: t.strip(" \t").encode()
    )
    | st.sampled_from(
        [
            b"",
            b"chat-1",
            "ünï 🎉".encode(),
            "ünï".encode("latin-1"),
            b"\xff\xfe",
            b"a\x01b",
            b"tab\there",
            b"x" * 300,
            b"x" * 20_000,
            b"x" * 100_000,
        ]
    )
)
authorization = st.sampled_from(
    [
        f"Bearer {KEY}".encode(),
        f"bearer {KEY}".encode(),
        KEY.encode(),
        f"Basic {KEY}".encode(),
        f"Bearer {KEY} extra".encode(),
        b"Bearer",
        b"Bearer sk-wrong",
        b"",
        b"Bearer " + b"k" * 20_000,
        b"Bearer " + b"k" * 100_000,
        "Bearer sk-ünï".encode(),
        "Bearer sk-ünï".encode("latin-1"),
    ]
) | header_bytes.map(lambda v: b"Bearer " + v)
content_type = (
    st.sampled_from(
        [
            b"application/json",
            b"application/json; charset=utf-8",
            b"application/json; charset=latin-1",
            b"text/plain",
            b"application/x-www-form-urlencoded",
            b"multipart/form-data",
            b"multipart/form-data; boundary=xyz",
            b"application/x-protobuf",
            b"*/*",
            b"",
        ]
    )
    | header_bytes
)
content_encoding = st.sampled_from([b"gzip", b"deflate", b"br", b"identity", b"gzip, gzip", b""])
IDENTITY_HEADERS = [
    "X-OpenWebUI-User-Id",
    "X-OpenWebUI-Chat-Id",
    "X-Session-Id",
    "X-OpenWebUI-User-Email",
    "X-OpenWebUI-User-Name",
]
headers = st.fixed_dictionaries(
    {},
    optional={
        "Authorization": authorization,
        "x-api-key": authorization,
        "Content-Type": content_type,
        "Content-Encoding": content_encoding,
        **dict.fromkeys(IDENTITY_HEADERS, header_value),
    },
)
# The body is a good one, its gzip, or garbage; with or without "stream".
body_form = st.sampled_from(["plain", "gzip", "garbage gzip", "garbage"])


@fuzz
@given(
    path=st.sampled_from(list(ENDPOINTS)),
    sent=headers,
    form=body_form,
    streamed=st.sampled_from([None, True, False]),
)
def test_no_headers_get_a_5xx_and_the_proxy_keeps_serving(proxy, path, sent, form, streamed):
    endpoint = ENDPOINTS[path]
    payload = {**endpoint.good, **({} if streamed is None else {"stream": streamed})}
    plain = json.dumps(payload).encode()
    raw = {
        "plain": plain,
        "gzip": gzip.compress(plain),
        "garbage gzip": b"\x1f\x8b\x08\x00garbage",
        "garbage": b"\x00\x01garbage",
    }[form]
    key = proxy.key.encode()
    sent = {name: v.replace(KEY.encode(), key) for name, v in sent.items()}
    with httpx.Client(timeout=30) as http:
        request = http.build_request("POST", f"{proxy.base_url}{path}", content=raw)
        # No defaults: a header the example leaves out is missing (Content-Length stays right).
        for name in ("Authorization", "Content-Type", "Content-Encoding"):
            request.headers.pop(name, None)
        request.headers.update(sent)
        request.headers.encoding = "latin-1"  # to read back values that are not UTF-8
        response = http.send(request)
        assert_answer_is_fine(response, endpoint, streamed)
        good = http.post(
            f"{proxy.base_url}{path}",
            json=endpoint.good,
            headers={"Authorization": f"Bearer {proxy.key}"},
        )
        assert good.status_code == 200, good.text[:500]

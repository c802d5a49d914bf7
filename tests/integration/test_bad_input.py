"""Bad input gets a clear OpenAI-format 4xx, never a 5xx, and the server keeps serving."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

AGENT = "agno/release-manager"
GOOD = {"model": AGENT, "messages": [{"role": "user", "content": "still fine"}]}


def body(**overrides):
    payload = {"model": AGENT, "messages": [{"role": "user", "content": "hi"}]}
    payload.update(overrides)
    return json.dumps(payload).encode()


def without(key):
    payload = {"model": AGENT, "messages": [{"role": "user", "content": "hi"}]}
    payload.pop(key)
    return json.dumps(payload).encode()


def user(content):
    return body(messages=[{"role": "user", "content": content}])


def image(url, detail=None):
    part = {"type": "image_url", "image_url": {"url": url}}
    if detail is not None:
        part["image_url"]["detail"] = detail
    return part


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 92).decode()


# (id, raw body, extra headers, expected status, fragment of the error message)
CASES = [
    ("not json", b"hello", {}, 400, "not valid JSON"),
    (
        "truncated json",
        b'{"model": "agno/release-manager", "messages": [',
        {},
        400,
        "not valid JSON",
    ),
    ("empty body", b"", {}, 400, "not valid JSON"),
    ("json array", b"[1, 2]", {}, 400, "JSON object"),
    ("json string", b'"hi"', {}, 400, "JSON object"),
    ("json null", b"null", {}, 400, "JSON object"),
    ("non-utf8 bytes", b'{"model": "\xff\xfe", "messages": []}', {}, 400, "UTF-8"),
    ("missing model", without("model"), {}, 400, "model"),
    ("empty model", body(model=""), {}, 400, "model"),
    ("model not a string", body(model=42), {}, 400, "model"),
    ("agno/ with no agent", body(model="agno/"), {}, 400, "agent"),
    ("unknown agent", body(model="agno/nope"), {}, 404, "release-manager"),
    ("missing messages", without("messages"), {}, 400, "messages"),
    ("empty messages", body(messages=[]), {}, 400, "messages"),
    ("messages not a list", body(messages="hi"), {}, 400, "messages"),
    ("message not an object", body(messages=["hi"]), {}, 400, "messages[0]"),
    ("message without role", body(messages=[{"content": "hi"}]), {}, 400, "role"),
    ("unknown role", body(messages=[{"role": "wizard", "content": "hi"}]), {}, 400, "wizard"),
    ("user content null", user(None), {}, 400, "null"),
    ("user content a number", user(42), {}, 400, "content"),
    ("user content an object", user({"text": "hi"}), {}, 400, "content"),
    # Images: each refused part is named by message and part.
    ("image data not an image", user([image("data:image/png;base64,AAAA")]), {}, 400, "not a PNG"),
    ("image data not base64", user([image("data:image/png;base64,%%%")]), {}, 400, "base64"),
    ("image data url not base64", user([image("data:image/png,abc")]), {}, 400, "base64"),
    ("image data url empty", user([image("data:image/png;base64,")]), {}, 400, "no data"),
    ("image data url no comma", user([image("data:image/png")]), {}, 400, "data URL"),
    ("image without media type", user([image(f"data:;base64,{PNG}")]), {}, 400, "media type"),
    ("image type unknown", user([image(f"data:image/bmp;base64,{PNG}")]), {}, 400, "image/bmp"),
    ("image type not image", user([image(f"data:text/html;base64,{PNG}")]), {}, 400, "text/html"),
    ("image file url", user([image("file:///etc/passwd")]), {}, 400, "'file:'"),
    ("image ftp url", user([image("ftp://example.com/a.png")]), {}, 400, "'ftp:'"),
    ("image bare path", user([image("/etc/passwd")]), {}, 400, "http(s) URL"),
    ("image http url without host", user([image("http:///a.png")]), {}, 400, "http(s) URL"),
    ("image url empty", user([image("")]), {}, 400, "data: URL"),
    ("image url a number", user([{"type": "image_url", "image_url": {"url": 5}}]), {}, 400, "url"),
    ("image url null", user([{"type": "image_url", "image_url": {"url": None}}]), {}, 400, "url"),
    ("image_url missing", user([{"type": "image_url"}]), {}, 400, "image_url"),
    (
        "image_url a string",
        user([{"type": "image_url", "image_url": "https://example.com/a.png"}]),
        {},
        400,
        "must be an object",
    ),
    ("image_url a list", user([{"type": "image_url", "image_url": []}]), {}, 400, "object"),
    (
        "image detail unknown",
        user([image(f"data:image/png;base64,{PNG}", "ultra")]),
        {},
        400,
        "detail",
    ),
    ("image detail a number", user([image(f"data:image/png;base64,{PNG}", 1)]), {}, 400, "detail"),
    (
        "image in an earlier message",
        body(
            messages=[
                {"role": "user", "content": [image("gopher://x")]},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": "b"},
            ]
        ),
        {},
        400,
        "messages[0].content[0]",
    ),
    (
        "image in a system message",
        body(
            messages=[
                {"role": "system", "content": [image(f"data:image/png;base64,{PNG}")]},
                {"role": "user", "content": "b"},
            ]
        ),
        {},
        400,
        "text only",
    ),
    (
        "33 images",
        user([image(f"data:image/png;base64,{PNG}")] * 33),
        {},
        400,
        "AGENTLLM_MAX_IMAGES",
    ),
    (
        "last message from assistant",
        body(messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]),
        {},
        400,
        "last",
    ),
    ("temperature a string", body(temperature="hot"), {}, 400, "temperature"),
    ("temperature too high", body(temperature=7), {}, 400, "temperature"),
    ("temperature negative", body(temperature=-1), {}, 400, "temperature"),
    ("max_tokens negative", body(max_tokens=-5), {}, 400, "max_tokens"),
    ("max_tokens zero", body(max_tokens=0), {}, 400, "max_tokens"),
    ("max_tokens a string", body(max_tokens="ten"), {}, 400, "max_tokens"),
    ("top_p out of range", body(top_p=3), {}, 400, "top_p"),
    ("n greater than one", body(n=3), {}, 400, "'n'"),
    ("stream not a boolean", body(stream="yes"), {}, 400, "stream"),
    ("metadata not an object", body(metadata="chat-1"), {}, 400, "metadata"),
    (
        "response_format a list (found by fuzzing)",
        body(response_format=[]),
        {},
        400,
        "response_format",
    ),
    ("stop not strings", body(stop=[1, 2]), {}, 400, "stop"),
    ("10 KB chat id header", body(), {"X-Session-Id": "c" * 10_000}, 400, "256"),
    ("10 KB chat id in metadata", body(metadata={"session_id": "c" * 10_000}), {}, 400, "256"),
    ("user not a string", body(user={"id": 1}), {}, 400, "user"),
    # LiteLLM's own message check raises a plain exception (500) for these two.
    (
        "content part of an unknown type",
        user([{"type": "wizard", "text": "hi"}]),
        {},
        400,
        "wizard",
    ),
    ("content part without a type", user([{"text": "hi"}]), {}, 400, "type"),
    # Python's JSON parser gives up past ~1,000 levels (RecursionError).
    (
        "json nested 5,000 levels",
        b'{"model": "x", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        {},
        400,
        "nested",
    ),
    (
        "json nested 200 levels",
        body(metadata=json.loads('{"a":' * 200 + "1" + "}" * 200)),
        {},
        400,
        "nested",
    ),
]


@pytest.mark.parametrize(
    ("raw", "headers", "status", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_openai_error_and_the_server_keeps_serving(
    proxy, raw, headers, status, fragment
):
    auth = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json", **headers}
    response = httpx.post(
        f"{proxy.base_url}/chat/completions", content=raw, headers=auth, timeout=30
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert fragment.lower() in error["message"].lower(), error
    assert "Traceback" not in response.text
    good = httpx.post(
        f"{proxy.base_url}/chat/completions",
        json=GOOD,
        headers=auth | {"X-Session-Id": "ok"} if "X-Session-Id" in headers else auth,
        timeout=30,
    )
    assert good.status_code == 200, good.text


# --- /v1/responses and /v1/messages -------------------------------------------------------------

RESPONSES = "/responses"
MESSAGES = "/messages"
GOOD_BODIES = {
    "/chat/completions": GOOD,
    RESPONSES: {"model": AGENT, "input": "still fine"},
    MESSAGES: {"model": AGENT, "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]},
}


def responses(**overrides):
    return json.dumps({"model": AGENT, "input": "hi", **overrides}).encode()


def anthropic(**overrides):
    return json.dumps({**GOOD_BODIES[MESSAGES], **overrides}).encode()


def assert_error(response, status, fragment):
    """A JSON error with the status and a message naming the problem."""
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert fragment.lower() in error["message"].lower(), error
    assert error["type"], error
    assert "Traceback" not in response.text


def assert_still_serving(proxy, path):
    auth = {"Authorization": f"Bearer {proxy.key}"}
    good = httpx.post(f"{proxy.base_url}{path}", json=GOOD_BODIES[path], headers=auth, timeout=30)
    assert good.status_code == 200, good.text


# Each of these got a 500 from LiteLLM 1.108.7 (a plain-text "Internal Server Error" where the
# model is not a string), a 200 stream that failed, or a 400 with a traceback in its message.
# (id, endpoint, raw body, expected status, fragment of the error message)
ENDPOINT_CASES = [
    ("model a number, metadata a list", RESPONSES, responses(model=5, metadata=[]), 400, "model"),
    ("model a number, metadata null", RESPONSES, responses(model=5, metadata=None), 400, "model"),
    ("input a number", RESPONSES, responses(input=5), 400, "input"),
    ("input item a number", RESPONSES, responses(input=[5]), 400, "input[0]"),
    (
        "input item content an object",
        RESPONSES,
        responses(input=[{"role": "user", "content": {"text": "hi"}}]),
        400,
        "input[0].content",
    ),
    (
        "input item content a number",
        RESPONSES,
        responses(input=[{"role": "user", "content": 1.5}]),
        400,
        "input[0].content",
    ),
    (
        "content part a number",
        RESPONSES,
        responses(input=[{"role": "user", "content": [5]}]),
        400,
        "input[0].content[0]",
    ),
    (
        "instructions not a string, streamed",
        RESPONSES,
        responses(instructions=False, stream=True),
        400,
        "instructions",
    ),
    ("messages empty", MESSAGES, anthropic(messages=[]), 400, "messages"),
    ("messages null", MESSAGES, anthropic(messages=None), 400, "messages"),
    ("messages a number", MESSAGES, anthropic(messages=5), 400, "messages"),
    ("message a number", MESSAGES, anthropic(messages=[5]), 400, "messages[0]"),
    ("message without role", MESSAGES, anthropic(messages=[{"content": "hi"}]), 400, "role"),
    (
        "content block a number",
        MESSAGES,
        anthropic(messages=[{"role": "user", "content": [5]}]),
        400,
        "messages[0].content[0]",
    ),
    (
        "model a number, metadata a number",
        MESSAGES,
        anthropic(model=53, metadata=0.0),
        400,
        "model",
    ),
    ("metadata.user_id a number", MESSAGES, anthropic(metadata={"user_id": 5}), 400, "user_id"),
    ("thinking a string", MESSAGES, anthropic(thinking="x"), 400, "thinking"),
    (
        "thinking budget a string",
        MESSAGES,
        anthropic(thinking={"type": "enabled", "budget_tokens": "x"}),
        400,
        "budget_tokens",
    ),
    (
        "thinking budget null",
        MESSAGES,
        anthropic(thinking={"type": "enabled", "budget_tokens": None}),
        400,
        "budget_tokens",
    ),
    ("tool type a number", MESSAGES, anthropic(tools=[{"type": 5, "name": "x"}]), 400, "tools[0]"),
    ("tool type null", MESSAGES, anthropic(tools=[{"type": None}]), 400, "tools[0]"),
    ("tool_choice true", MESSAGES, anthropic(tool_choice=True), 400, "tool_choice"),
    ("tool_choice a string", MESSAGES, anthropic(tool_choice="auto"), 400, "tool_choice"),
    (
        "tool_choice of an unknown type",
        MESSAGES,
        anthropic(tool_choice={"type": "wizard"}),
        400,
        "tool_choice.type",
    ),
    (
        "tool_choice name a number",
        MESSAGES,
        anthropic(tool_choice={"type": "tool", "name": 5}),
        400,
        "tool_choice.name",
    ),
    (
        "tool_choice name null",
        MESSAGES,
        anthropic(tool_choice={"type": "tool", "name": None}),
        400,
        "tool_choice.name",
    ),
]


@pytest.mark.parametrize(
    ("path", "raw", "status", "fragment"),
    [c[1:] for c in ENDPOINT_CASES],
    ids=[f"{c[1].strip('/')}: {c[0]}" for c in ENDPOINT_CASES],
)
def test_bad_responses_and_messages_bodies_get_a_clear_error_and_the_server_keeps_serving(
    proxy, path, raw, status, fragment
):
    auth = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    response = httpx.post(f"{proxy.base_url}{path}", content=raw, headers=auth, timeout=30)
    assert_error(response, status, fragment)
    if path == MESSAGES:  # Anthropic's error envelope, as LiteLLM's own /v1/messages errors
        assert response.json()["type"] == "error"
    assert_still_serving(proxy, path)


def test_header_values_with_cr_lf_are_rejected_by_the_client_or_server(proxy):
    # h11 refuses to send such headers; a raw socket shows what the server does with them.
    import socket

    payload = body()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {proxy.key}\r\n".encode()
        + b"Content-Type: application/json\r\nX-Session-Id: a\rb\r\n"
        + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500


@pytest.mark.parametrize(
    ("chat_id", "user"),
    [
        ("../../etc/passwd", "u1"),
        ("'; DROP TABLE agno_sessions; --", "u2"),
        ("chat", "../../../root"),
        ("ünï 🎉 chat", "ü 🎉"),
    ],
)
def test_ids_with_path_or_sql_characters_are_just_ids(proxy, chat_id, user):
    client = proxy.client()
    for text in ("one", "two"):
        reply = client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": text}],
            user=user,
            extra_body={"metadata": {"session_id": chat_id}},
        )
    assert reply.choices[0].message.content.endswith("context: one | two")
    if chat_id.isascii():
        again = client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": "three"}],
            user=user,
            extra_headers={"X-Session-Id": chat_id},
        )
        assert again.choices[0].message.content.endswith("context: one | two | three")


@pytest.mark.parametrize(
    "messages",
    [
        [
            {
                "role": "user",
                "content": [{"type": "text", "text": "part a"}, {"type": "text", "text": "part b"}],
            }
        ],
        [{"role": "user", "content": "unicode: 日本語, emoji 🎉🚀, rtl שלום, nul-free"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "with system"}],
    ],
)
def test_valid_shapes_work(proxy, messages):
    reply = proxy.client().chat.completions.create(model=AGENT, messages=messages)
    last = messages[-1]["content"]
    text = last if isinstance(last, str) else "\n".join(p["text"] for p in last)
    assert reply.choices[0].message.content == f"echo: {text}\ncontext: {text}"


def test_a_1_mb_message_round_trips(proxy):
    big = "word " * 200_000  # 1 MB
    reply = proxy.client().chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": big}]
    )
    assert reply.choices[0].message.content.startswith("echo: word word")
    assert reply.usage.completion_tokens == 2 * 200_000 + 2


def test_a_body_over_the_limit_gets_413_naming_the_limit(proxy):
    huge = json.dumps(
        {"model": AGENT, "messages": [{"role": "user", "content": "x" * (9 * 1024 * 1024)}]}
    )
    response = httpx.post(
        f"{proxy.base_url}/chat/completions",
        content=huge,
        headers={"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert "AGENTLLM_MAX_BODY_BYTES" in response.json()["error"]["message"]

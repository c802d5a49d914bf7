"""Bad input gets a clear OpenAI-format 4xx, never a 5xx, and the server keeps serving."""

from __future__ import annotations

import base64
import gzip
import json
import socket

import httpx
import pytest

pytestmark = pytest.mark.integration

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
        "web_search_call item without id, status, action (found by fuzzing)",
        RESPONSES,
        responses(input=[{"type": "web_search_call"}, {"role": "user", "content": "hi"}]),
        400,
        "input[0].id",
    ),
    (
        "web_search_call item of an unknown status",
        RESPONSES,
        responses(
            input=[
                {
                    "type": "web_search_call",
                    "id": "ws",
                    "status": "x",
                    "action": {"type": "search", "query": "q"},
                },
                {"role": "user", "content": "hi"},
            ]
        ),
        400,
        "input[0].status",
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


# --- headers, on every endpoint ------------------------------------------------------------------

KEY = "<key>"  # the proxy's key, filled in by the test
# (id, headers (bytes values; None removes a default), raw body or None for the endpoint's good
# one, expected status, fragment of the error message)
HEADER_CASES = [
    ("no Authorization", {"Authorization": None}, None, 401, "missing api key"),
    ("empty Authorization", {"Authorization": b""}, None, 401, "missing api key"),
    ("Basic, wrong key", {"Authorization": b"Basic c2std3Jvbmc="}, None, 401, "invalid api key"),
    ("key without scheme", {"Authorization": KEY.encode()}, None, 401, "missing api key"),
    ("wrong key", {"Authorization": b"Bearer sk-wrong"}, None, 401, "invalid api key"),
    ("Latin-1 key", {"Authorization": "Bearer sk-ünï".encode("latin-1")}, None, 401, "invalid"),
    ("UTF-8 key", {"Authorization": "Bearer sk-ünï".encode()}, None, 401, "invalid api key"),
    ("20 KB key", {"Authorization": b"Bearer " + b"k" * 20_000}, None, 401, "invalid api key"),
    # Past h11's 16 KiB buffer uvicorn answered in plain text or reset the connection.
    ("100 KB key", {"Authorization": b"Bearer " + b"k" * 100_000}, None, 431, "32768"),
    ("100 KB chat id", {"X-OpenWebUI-Chat-Id": b"c" * 100_000}, None, 431, "headers are"),
    ("300-byte session id", {"X-Session-Id": b"s" * 300}, None, 400, "256 characters"),
    ("chat id with a control byte", {"X-OpenWebUI-Chat-Id": b"a\x01b"}, None, 400, "control"),
    ("user id with a control byte", {"X-OpenWebUI-User-Id": b"u\x7f"}, None, 400, "control"),
    ("session id with a tab", {"X-Session-Id": b"tab\there"}, None, 400, "control"),
    # LiteLLM read these as JSON regardless (400 "not valid JSON/UTF-8"), or as a form ("missing
    # 'messages'"): 415 says what to send instead.
    ("gzip of garbage", {"Content-Encoding": b"gzip"}, b"\x1f\x8bgarbage", 415, "uncompressed"),
    ("gzip of a good body", {"Content-Encoding": b"gzip"}, "gzip", 415, "content-encoding 'gzip'"),
    (
        "form content type",
        {"Content-Type": b"application/x-www-form-urlencoded"},
        None,
        415,
        "json",
    ),
    ("multipart", {"Content-Type": b"multipart/form-data; boundary=x"}, None, 415, "json"),
]


def post_with_headers(proxy, path, raw, headers):
    """POST ``raw`` with exactly these headers (bytes values, ``None`` removes a default)."""
    defaults = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=30) as http:
        request = http.build_request(
            "POST", f"{proxy.base_url}{path}", content=raw, headers=defaults
        )
        for name, value in headers.items():
            if value is None:
                request.headers.pop(name, None)
            else:
                request.headers.update({name: value.replace(KEY.encode(), proxy.key.encode())})
        request.headers.encoding = "latin-1"  # to read back values that are not UTF-8
        return http.send(request)


@pytest.mark.parametrize("path", ["/chat/completions", RESPONSES, MESSAGES])
@pytest.mark.parametrize(
    ("headers", "raw", "status", "fragment"),
    [c[1:] for c in HEADER_CASES],
    ids=[c[0] for c in HEADER_CASES],
)
def test_bad_headers_get_a_clear_error_on_every_endpoint(
    proxy, path, headers, raw, status, fragment
):
    good = json.dumps(GOOD_BODIES[path]).encode()
    raw = gzip.compress(good) if raw == "gzip" else raw or good
    response = post_with_headers(proxy, path, raw, headers)
    assert_error(response, status, fragment)
    if "Content-Encoding" in headers:
        assert response.headers["accept-encoding"] == "identity"
    assert_still_serving(proxy, path)


@pytest.mark.parametrize("path", ["/chat/completions", RESPONSES, MESSAGES])
@pytest.mark.parametrize(
    "headers",
    [
        {"X-OpenWebUI-User-Id": "ünï".encode("latin-1"), "X-OpenWebUI-Chat-Id": b"\xff\xfe"},
        {"X-OpenWebUI-User-Id": "ü 🎉".encode(), "X-Session-Id": "chat ✓".encode()},
        {"X-OpenWebUI-User-Id": b"", "X-OpenWebUI-Chat-Id": b"", "X-Session-Id": b""},
        {"Content-Type": b"text/plain"},
        {"Content-Type": None, "Content-Encoding": b"identity"},
        {"Authorization": None, "x-api-key": KEY.encode()},
        {"Authorization": f"bearer {KEY}".encode()},
    ],
    ids=[
        "Latin-1 ids",
        "UTF-8 ids",
        "empty ids",
        "text/plain",
        "no content type",
        "x-api-key",
        "lower-case bearer",
    ],
)
def test_odd_but_valid_headers_work_on_every_endpoint(proxy, path, headers):
    response = post_with_headers(proxy, path, json.dumps(GOOD_BODIES[path]).encode(), headers)
    assert response.status_code == 200, response.text[:500]


# --- malformed HTTP ------------------------------------------------------------------------------


def send_raw(proxy, request: bytes) -> bytes:
    """Send bytes on a fresh connection; everything the server answers until it closes."""
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def raw_request(proxy, framing: bytes, body: bytes) -> bytes:
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {proxy.key}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + framing
        + b"Connection: close\r\n\r\n"
        + body
    )


GOOD_RAW = json.dumps(GOOD).encode()
# (id, framing headers, body, fragment of the error message). uvicorn answered all but the
# shorter Content-Length with a plain-text 400.
HTTP_CASES = [
    ("Content-Length not a number", b"Content-Length: ten\r\n", GOOD_RAW, "not valid http"),
    ("Content-Length negative", b"Content-Length: -5\r\n", GOOD_RAW, "not valid http"),
    (
        "Content-Length twice, different",
        f"Content-Length: {len(GOOD_RAW)}\r\nContent-Length: 5\r\n".encode(),
        GOOD_RAW,
        "not valid http",
    ),
    (
        "chunked framing broken",
        b"Transfer-Encoding: chunked\r\n",
        b"zz\r\nabc\r\n0\r\n\r\n",
        "not valid http",
    ),
    (
        "header value with a bare CR",
        f"X-Session-Id: a\rb\r\nContent-Length: {len(GOOD_RAW)}\r\n".encode(),
        GOOD_RAW,
        "not valid http",
    ),
    (
        "Content-Length shorter than the body",
        f"Content-Length: {len(GOOD_RAW) - 10}\r\n".encode(),
        GOOD_RAW,
        "not valid json",
    ),
]


@pytest.mark.parametrize(
    ("framing", "body", "fragment"), [c[1:] for c in HTTP_CASES], ids=[c[0] for c in HTTP_CASES]
)
def test_malformed_http_gets_a_json_400_and_the_server_keeps_serving(
    proxy, framing, body, fragment
):
    answer = send_raw(proxy, raw_request(proxy, framing, body))
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"400", answer[:300]
    assert b"content-type: application/json" in head.lower(), head
    assert fragment in json.loads(payload)["error"]["message"].lower()
    assert_still_serving(proxy, "/chat/completions")


def test_headers_past_the_servers_buffer_end_the_connection_and_the_server_keeps_serving(proxy):
    # 2 MiB of headers: the server stops reading at 1 MiB and closes the connection while the
    # client is still sending, so the client sees the JSON 400 or a reset, never a 5xx.
    request = raw_request(proxy, b"X-Session-Id: " + b"x" * (2 << 20) + b"\r\n", GOOD_RAW)
    try:
        answer = send_raw(proxy, request)
    except OSError:  # the reset
        answer = b""
    if answer:
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert_still_serving(proxy, "/chat/completions")


def test_a_body_cut_short_by_the_client_gets_no_answer_and_the_server_keeps_serving(proxy):
    # The client promises more body than it sends, then closes its side: there is no request
    # to answer; the server closes the connection (nothing left running) and serves the next.
    request = raw_request(proxy, f"Content-Length: {len(GOOD_RAW) + 20}\r\n".encode(), GOOD_RAW)
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(65536) == b""
    assert_still_serving(proxy, "/chat/completions")


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


@pytest.mark.parametrize(
    ("path", "raw", "param"),
    [
        (
            "/chat/completions",
            body(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": [{}]}]),
            "messages[1].content[0].type",
        ),
        ("/chat/completions", body(messages=[{"role": 5, "content": "a"}]), "messages[0].role"),
        (RESPONSES, responses(input=[{"role": "user", "content": 5}]), "input[0].content"),
        (MESSAGES, anthropic(system=[{"text": "x"}]), "system[0].type"),
    ],
)
def test_a_refused_field_is_named_in_param(proxy, path, raw, param):
    auth = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    response = httpx.post(f"{proxy.base_url}{path}", content=raw, headers=auth, timeout=30)
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"]["param"] == param

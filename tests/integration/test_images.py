"""Images through the real proxy: they reach the agent, earlier turns stay exact, the store keeps
a reference instead of the bytes, and what cannot be run gets a 400.

The offline model shows each image it was given after its message's text:
``[image <media type> <bytes> bytes]``, or ``[image <url>]`` for an image given by URL.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy
from tests.support.store import stored_bytes, stored_runs

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


def png(size: int) -> bytes:
    """``size`` bytes that start like a PNG (random after that: each image is its own)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def image(url: str, **extra) -> dict:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def user(*parts) -> dict:
    return {"role": "user", "content": list(parts)}


def assistant(value: str) -> dict:
    return {"role": "assistant", "content": value}


def marker(data: bytes) -> str:
    return f"[image image/png {len(data)} bytes]"


def owui(chat: str, who: str = "alice") -> dict:
    """Open WebUI's headers: it names the chat and sends the whole conversation every turn."""
    return {"X-OpenWebUI-Chat-Id": chat, "X-OpenWebUI-User-Id": who}


def ask(client, messages, *, stream=False, headers=None) -> str:
    reply = client.chat.completions.create(
        model=AGENT, messages=messages, stream=stream, extra_headers=headers or {}
    )
    if not stream:
        return reply.choices[0].message.content
    return "".join(c.choices[0].delta.content or "" for c in reply if c.choices)


def context(reply: str) -> str:
    return reply.split("\ncontext: ", 1)[1]


LOOK = png(1234)


@pytest.mark.parametrize("stream", [False, True])
def test_an_image_reaches_the_agent(client, stream):
    reply = ask(client, [user(text("look"), image(data_url(LOOK)))], stream=stream)
    assert reply == f"echo: look {marker(LOOK)}\ncontext: look {marker(LOOK)}"


async def test_an_image_reaches_the_agent_from_the_async_client(aclient):
    messages = [user(text("look"), image(data_url(LOOK), detail="low"))]
    reply = await aclient.chat.completions.create(model=AGENT, messages=messages)
    assert (
        reply.choices[0].message.content
        == f"echo: look {marker(LOOK)}\ncontext: look {marker(LOOK)}"
    )
    stream = await aclient.chat.completions.create(model=AGENT, messages=messages, stream=True)
    streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert streamed == reply.choices[0].message.content


def test_a_message_of_images_only_shows_just_the_images(client):
    second = png(99)
    reply = ask(client, [user(image(data_url(LOOK)), image(data_url(second)))])
    assert reply.split("\n")[0] == f"echo: {marker(LOOK)} {marker(second)}"


def test_each_accepted_type_reaches_the_agent_as_its_bytes_show(client):
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 96
    webp = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 84
    gif = b"GIF89a" + b"\0" * 94
    heic = b"\0\0\0\x18ftypheic" + b"\0" * 88
    parts = [image(data_url(jpeg, "image/jpeg")), image(data_url(webp, "image/webp"))]
    parts += [image(data_url(gif, "image/gif")), image(data_url(heic, "image/heic"))]
    reply = ask(client, [user(text("all"), *parts)])
    assert reply.split("\n")[0] == (
        "echo: all [image image/jpeg 100 bytes] [image image/webp 100 bytes] "
        "[image image/gif 100 bytes] [image image/heic 100 bytes]"
    )


@pytest.fixture
def web():
    """A local web server that records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(LOOK)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("stream", [False, True])
def test_an_http_image_reaches_the_agent_as_its_url_unfetched(client, web, stream):
    base, hits = web
    url = f"{base}/cat.png?size=large"
    reply = ask(client, [user(text("what is this"), image(url, detail="high"))], stream=stream)
    assert reply.split("\n")[0] == f"echo: what is this [image {url}]"
    assert hits == []  # neither the proxy, LiteLLM nor the offline model fetched it


def test_an_input_image_of_the_responses_api_reaches_the_agent(client):
    # LiteLLM turns /v1/responses input into chat messages: input_image becomes an image_url part.
    content = [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": data_url(LOOK)},
    ]
    reply = client.responses.create(model=AGENT, input=[{"role": "user", "content": content}])
    assert reply.output_text == f"echo: look {marker(LOOK)}\ncontext: look {marker(LOOK)}"
    bad = [{"type": "input_image", "image_url": "file:///etc/passwd"}]
    with pytest.raises(openai.BadRequestError, match="'file:'"):
        client.responses.create(model=AGENT, input=[{"role": "user", "content": bad}])


# --- conversations ------------------------------------------------------------------------------


def test_earlier_images_reach_the_model_and_their_stored_turn_still_matches(proxy, client):
    chat, other = uuid.uuid4().hex, png(2000)
    first = [user(text("look"), image(data_url(LOOK)))]
    reply1 = ask(client, first, headers=owui(chat))
    second = [*first, assistant(reply1), user(text("and now?"))]
    reply2 = ask(client, second, headers=owui(chat), stream=True)
    assert context(reply2) == f"look {marker(LOOK)} | and now?"
    third = [*second, assistant(reply2), user(text("this one"), image(data_url(other)))]
    reply3 = ask(client, third, headers=owui(chat))
    assert context(reply3) == f"look {marker(LOOK)} | and now? | this one {marker(other)}"
    runs = stored_runs(proxy.db_path, "alice", chat)
    assert [r.status.value for r in runs] == ["COMPLETED"] * 3  # nothing superseded
    assert [m.content for r in runs for m in r.messages if m.role == "user"] == [
        "look",
        "and now?",
        "this one",
    ]


def test_a_changed_image_in_an_earlier_turn_replaces_that_turn(proxy, client):
    chat, dog = uuid.uuid4().hex, png(1234)
    first = [user(text("look"), image(data_url(LOOK)))]
    reply1 = ask(client, first, headers=owui(chat))
    edited = [user(text("look"), image(data_url(dog))), assistant(reply1), user(text("and?"))]
    assert context(ask(client, edited, headers=owui(chat))) == f"look {marker(dog)} | and?"
    assert [r.status.value for r in stored_runs(proxy.db_path, "alice", chat)] == [
        "REGENERATED",
        "COMPLETED",
    ]


def test_a_client_sending_only_the_newest_message_gets_earlier_images_as_references(client):
    chat = uuid.uuid4().hex
    ask(client, [user(text("look"), image(data_url(LOOK)))], headers={"X-Session-Id": chat})
    reply = ask(client, [user(text("again"))], headers={"X-Session-Id": chat})
    assert context(reply) == "look [image reference image/png 1234 bytes] | again"


def test_a_1_mb_image_is_stored_as_a_reference_not_its_bytes(proxy, client):
    chat, big = uuid.uuid4().hex, png(1_000_000)
    first = [user(text("look"), image(data_url(big)))]
    reply1 = ask(client, first, headers=owui(chat))
    ask(client, [*first, assistant(reply1), user(text("and now?"))], headers=owui(chat))
    size = stored_bytes(proxy.db_path, "alice", chat)
    assert size < 50_000, f"two turns with a 1 MB image take {size} bytes in the store"
    runs = stored_runs(proxy.db_path, "alice", chat)
    stored = next(m for m in runs[0].messages if m.role == "user").images[0]
    assert stored.content is None
    assert (stored.media_reference.size, stored.media_reference.mime_type) == (
        1_000_000,
        "image/png",
    )


def test_too_many_images_get_400_naming_the_setting(client):
    parts = [image(data_url(png(100))) for _ in range(33)]
    with pytest.raises(openai.BadRequestError, match="AGENTLLM_MAX_IMAGES"):
        ask(client, [user(text("many"), *parts)])


# --- limits and models without images -----------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    running = start_proxy(
        tmp_path_factory.mktemp("limited"),
        {"AGENTLLM_MAX_IMAGE_BYTES": "100000", "AGENTLLM_MAX_IMAGES": "2"},
    )
    yield running
    stop_proxy(running)


@pytest.mark.parametrize("stream", [False, True])
def test_an_image_over_the_size_limit_gets_400_naming_the_message_and_setting(limited, stream):
    client = limited.client()
    messages = [user(text("a")), assistant("b"), user(text("big"), image(data_url(png(100_001))))]
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, messages, stream=stream)
    message = caught.value.body["message"]
    assert "messages[2].content[1]" in message and "AGENTLLM_MAX_IMAGE_BYTES" in message
    assert ask(client, [user(text("fits"), image(data_url(png(100_000))))]).startswith(
        "echo: fits [image image/png 100000 bytes]"
    )
    with pytest.raises(openai.BadRequestError, match="at most 2"):
        ask(client, [user(*[image(data_url(png(10))) for _ in range(3)])], stream=stream)


@pytest.fixture(scope="module")
def text_only(tmp_path_factory):
    running = start_proxy(
        tmp_path_factory.mktemp("text-only"),
        {"AGENTLLM_MODEL": "python:tests.support.text_model:TextOnlyModel"},
    )
    yield running
    stop_proxy(running)


@pytest.mark.parametrize("stream", [False, True])
def test_a_model_without_image_support_gets_400_naming_the_model(text_only, stream):
    client = text_only.client()
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, [user(text("look"), image(data_url(LOOK)))], stream=stream)
    message = caught.value.body["message"]
    assert "'text-only'" in message and "TextOnlyModel" in message and "images" in message
    history = [user(image(data_url(LOOK))), assistant("x"), user(text("and now?"))]
    with pytest.raises(openai.BadRequestError, match="TextOnlyModel"):
        ask(client, history, stream=stream)
    assert ask(client, [user(text("just text"))], stream=stream).startswith("echo: just text")

"""The request guard's body limit is the one it is built with (``settings().max_body_bytes``)."""

from __future__ import annotations

import json

from agentllm.proxy.guard import RequestGuard


async def post(guard: RequestGuard, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` to /v1/chat/completions through ``guard``: (status, response body)."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": []}
    await guard(scope, receive, send)
    return sent[0]["status"], sent[1]["body"]


async def reached_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": (await receive())["body"]})


async def test_a_body_over_the_configured_limit_gets_413_naming_it():
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 200}]})
    guard = RequestGuard(reached_app, max_body_bytes=len(body) - 1)
    status, answer = await post(guard, body.encode())
    assert status == 413
    message = json.loads(answer)["error"]["message"]
    assert f"limit of {len(body) - 1} bytes" in message and "AGENTLLM_MAX_BODY_BYTES" in message


async def test_a_body_at_the_configured_limit_passes():
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 200}]})
    guard = RequestGuard(reached_app, max_body_bytes=len(body))
    assert await post(guard, body.encode()) == (200, body.encode())


async def test_a_bad_field_gets_400_whose_param_names_it():
    body = {"model": "m", "messages": [{"role": "user", "content": [{"type": "wizard"}]}]}
    status, answer = await post(RequestGuard(reached_app), json.dumps(body).encode())
    assert status == 400
    assert json.loads(answer)["error"]["param"] == "messages[0].content[0].type"


async def test_the_guard_hands_litellm_the_parsed_body_and_still_the_bytes():
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    seen: list[dict] = []

    async def app(scope, receive, send):
        seen.append(scope)
        await reached_app(scope, receive, send)

    assert await post(RequestGuard(app), body) == (200, body)
    keys, parsed = seen[0]["parsed_body"]
    assert keys == ("model", "messages") and parsed == json.loads(body)


async def test_a_lone_surrogate_escape_is_left_for_litellm_to_parse_and_refuse():
    body = b'{"model": "m", "messages": [{"role": "user", "content": "\\ud800"}]}'
    seen: list[dict] = []

    async def app(scope, receive, send):
        seen.append(scope)
        await reached_app(scope, receive, send)

    assert await post(RequestGuard(app), body) == (200, body)
    assert "parsed_body" not in seen[0]

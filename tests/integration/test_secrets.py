"""No key, Authorization header or cookie in any log line at any level; contents only at DEBUG."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from tests.integration.conftest import start_proxy, stop_proxy

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"
FAKE_GEMINI_KEY = "AIzaFAKE-not-a-real-key-000000"  # shorter than a real key
COOKIE = "session-cookie-value-9f8e7d"
WRONG_KEY = "sk-wrong-key-should-never-be-logged-42"


def exercise(proxy, marker: str) -> None:
    """Good, bad, streamed, failing and unauthenticated requests, with cookies and keys."""
    client = proxy.client(default_headers={"Cookie": f"session={COOKIE}"})
    client.chat.completions.create(
        model=AGENT,
        messages=[{"role": "user", "content": marker}],
        extra_headers={"X-Session-Id": marker},
    )
    list(
        client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": marker}], stream=True
        )
    )
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": marker}], temperature=9
        )
    for headers in ({"Authorization": f"Bearer {WRONG_KEY}"}, {"x-api-key": WRONG_KEY}, {}):
        response = httpx.post(
            f"{proxy.base_url}/chat/completions",
            headers=headers,
            json={"model": AGENT, "messages": [{"role": "user", "content": marker}]},
        )
        assert response.status_code == 401
    # The other chat APIs, a body the guard refuses, and a key too long for the header limit.
    wrong = {"Authorization": f"Bearer {WRONG_KEY}"}
    other_apis = {
        "/responses": {"model": AGENT, "input": marker},
        "/messages": {
            "model": AGENT,
            "max_tokens": 9,
            "messages": [{"role": "user", "content": marker}],
        },
    }
    for path, body in other_apis.items():
        assert httpx.post(f"{proxy.base_url}{path}", headers=wrong, json=body).status_code == 401
        refused = httpx.post(
            f"{proxy.base_url}{path}",
            headers={"Authorization": f"Bearer {proxy.key}"},
            json={**body, "metadata": [marker]},
        )
        assert refused.status_code == 400
    long_key = {"Authorization": f"Bearer {WRONG_KEY}{'k' * 40_000}"}
    response = httpx.post(
        f"{proxy.base_url}/responses", headers=long_key, json=other_apis["/responses"]
    )
    assert response.status_code == 431


def assert_no_secrets(log: str, proxy) -> None:
    for secret in (proxy.key, WRONG_KEY, COOKIE, FAKE_GEMINI_KEY):
        assert secret not in log, f"{secret[:6]}… leaked into the log"


def test_debug_log_has_no_secrets(tmp_path):
    proxy = start_proxy(
        tmp_path, {"GEMINI_API_KEY": FAKE_GEMINI_KEY}, args=("--log-level", "debug")
    )
    marker = f"marker-{uuid.uuid4().hex}"
    try:
        exercise(proxy, marker)
    finally:
        stop_proxy(proxy)
    log = proxy.log()
    assert "DEBUG" in log  # the debug level really was on
    assert marker in log  # contents may appear at DEBUG ...
    assert_no_secrets(log, proxy)  # ... secrets never


def test_info_log_has_neither_secrets_nor_contents(proxy):
    marker = f"marker-{uuid.uuid4().hex}"
    exercise(proxy, marker)
    log = proxy.log()
    assert marker not in log
    assert_no_secrets(log, proxy)

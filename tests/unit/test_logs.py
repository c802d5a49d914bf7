"""Secrets never reach a log record."""

from __future__ import annotations

import logging

import pytest

from agentllm import logs


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("{'authorization': 'Bearer tok123'}", "tok123"),
        ("headers={'cookie': 'session=xyz987'}", "session=xyz987"),
        ("api_key=sk-abcdefghijklmnop", "sk-abcdefghijklmnop"),
        ("using key AIzaSyA1234567890abcdefghijklmnop", "AIzaSyA1234567890abcdefghijklmnop"),
        ("x-api-key: plainsecret", "plainsecret"),
    ],
)
def test_key_shaped_values_are_redacted(text, secret):
    cleaned = logs.redact(text)
    assert secret not in cleaned
    assert logs.REDACTED in cleaned


def test_known_secrets_are_redacted_anywhere():
    assert logs.redact("the key is hunter2!", ["hunter2"]) == f"the key is {logs.REDACTED}!"


def test_innocent_text_is_untouched():
    text = "POST /v1/chat/completions 200 model=agno/release-manager"
    assert logs.redact(text) == text


def test_records_from_any_logger_are_redacted(caplog):
    previous = logging.getLogRecordFactory()
    logs.install_redaction(["my-master-key-value"])
    try:
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("LiteLLM Proxy").warning(
                "got %s and %s", "my-master-key-value", "Bearer zzz"
            )
    finally:
        logging.setLogRecordFactory(previous)
    assert "my-master-key-value" not in caplog.text and "zzz" not in caplog.text
    assert logs.REDACTED in caplog.text


def test_records_without_secrets_keep_their_args_for_uvicorn_access_log():
    from uvicorn.logging import AccessFormatter

    previous = logging.getLogRecordFactory()
    logs.install_redaction(["my-master-key-value"])
    try:
        record = logging.getLogger("uvicorn.access").makeRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "POST", "/v1/chat/completions", "1.1", 200),
            None,
        )
    finally:
        logging.setLogRecordFactory(previous)
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert line.startswith("127.0.0.1:5000 POST /v1/chat/completions HTTP/1.1 200")

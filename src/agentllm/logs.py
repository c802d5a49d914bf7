"""Logging set-up: levels for agentllm and LiteLLM, and redaction of secrets from every record.

Redaction happens when a log record is created (``logging.setLogRecordFactory``), so it covers
LiteLLM's, uvicorn's and Agno's loggers whatever handlers they configure.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"
LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router")
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s'\",]+"),
    re.compile(
        r"(?i)((?:authorization|x-api-key|api[_-]?key|cookie|set-cookie)['\"]?\s*[:=]\s*['\"]?)[^'\",}\s]+"
    ),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secrets and anything shaped like a key or auth header value replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


def install_redaction(secrets: Iterable[str]) -> None:
    """Redact ``secrets`` (and key-shaped strings) from every log record created from now on."""
    known = tuple(s for s in secrets if s)
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return record
        cleaned = redact(message, known)
        if cleaned != message:
            # Only records that carried a secret are rewritten: formatters that read
            # ``record.args`` (uvicorn's access log unpacks it) keep working for all others.
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)


def configure(level: str) -> None:
    """Set agentllm's and LiteLLM's log level (``debug`` also shows LiteLLM's request details)."""
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("agentllm").setLevel(numeric)
    for name in LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(numeric if numeric <= logging.DEBUG else logging.WARNING)
        if logger.handlers:  # LiteLLM prints through its own handler: don't print twice
            logger.propagate = False

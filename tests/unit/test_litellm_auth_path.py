"""LiteLLM's auth runs an OpenTelemetry import on every request; it must succeed and stay inert.

LiteLLM 1.108.7's ``user_api_key_auth`` calls ``_seed_request_destinations``, which imports
``litellm.integrations.otel.logger``. Without ``opentelemetry-sdk`` that import fails and is tried
again on the next request (with no bytecode on disk: recompiled, ~4 ms each). agentllm declares the
SDK so the import succeeds once; these tests fail if an upgrade moves or breaks it, and show that
it configures nothing that records or exports traces (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest


def test_litellm_otel_logger_imports():
    import litellm.integrations.otel.logger as otel_logger

    assert callable(otel_logger.fan_out_provider)


def test_auth_seeds_trace_destinations_without_an_import_error(caplog: pytest.LogCaptureFixture):
    from litellm._logging import verbose_proxy_logger
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.auth.user_api_key_auth import _seed_request_destinations

    with caplog.at_level(logging.DEBUG, logger=verbose_proxy_logger.name):
        _seed_request_destinations(UserAPIKeyAuth(api_key="sk-test"), None)
    failures = [r for r in caplog.records if "destination resolution failed" in r.getMessage()]
    assert failures == []


def test_no_tracer_records_or_exports_by_default():
    from litellm.integrations.otel.logger import fan_out_provider

    span = fan_out_provider().get_tracer("agentllm-test").start_span("probe")
    assert not span.is_recording()
    span.end()
    # Only the SDK is installed, no exporter package: nothing could send a span anywhere.
    assert importlib.util.find_spec("opentelemetry.exporter") is None


def test_litellm_auth_module_has_compiled_bytecode():
    """``uv sync`` compiles (pyproject ``[tool.uv] compile-bytecode``): no per-import compile."""
    import litellm.proxy.auth.user_api_key_auth as auth

    assert auth.__file__ is not None
    cached = Path(importlib.util.cache_from_source(auth.__file__))
    assert cached.is_file(), f"no bytecode at {cached}: install with `make install` (uv sync)"

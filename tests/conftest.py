"""Test-wide environment: offline model, a throw-away database, no network at litellm import."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

_TMP = tempfile.mkdtemp(prefix="agentllm-tests-")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["AGENTLLM_MODEL"] = "echo"
os.environ["AGENTLLM_DB_URL"] = f"sqlite:///{_TMP}/unit.db"
os.environ.pop("GEMINI_API_KEY", None)
os.environ.pop("LITELLM_MASTER_KEY", None)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the settings anew: they are cached per process, and tests change the
    environment (monkeypatch) that the next test must not see through the cache."""
    from agentllm.config import settings

    settings.cache_clear()
    yield
    settings.cache_clear()

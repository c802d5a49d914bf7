"""Test-wide environment: offline model, a throw-away database, no network at litellm import."""

from __future__ import annotations

import os
import tempfile

_TMP = tempfile.mkdtemp(prefix="agentllm-tests-")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["AGENTLLM_MODEL"] = "echo"
os.environ["AGENTLLM_DB_URL"] = f"sqlite:///{_TMP}/unit.db"
os.environ.pop("GEMINI_API_KEY", None)
os.environ.pop("LITELLM_MASTER_KEY", None)

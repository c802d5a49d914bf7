"""The settings as the real ``agentllm`` process reads them: .env, precedence, bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.integration.conftest import MASTER_KEY, ROOT, free_port, start_proxy, stop_proxy

pytestmark = pytest.mark.integration

AGENT = "agno/release-manager"


def test_a_bad_setting_stops_the_start_with_one_line_naming_it(tmp_path):
    command = [sys.executable, "-m", "agentllm.server", "--port", str(free_port())]
    command += ["--config", str(ROOT / "proxy_config.yaml")]
    command += ["--runtime-config", str(tmp_path / "runtime.yaml")]
    env = {**os.environ, "AGENTLLM_MAX_BODY_BYTES": "8MB", "LITELLM_MASTER_KEY": MASTER_KEY}
    ended = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert ended.returncode == 2, ended.stderr
    assert ended.stderr == (
        "agentllm: configuration error: AGENTLLM_MAX_BODY_BYTES must be a whole number, got '8MB'\n"
    )
    assert MASTER_KEY not in ended.stdout + ended.stderr


def test_dotenv_fills_in_what_the_environment_leaves_unset(tmp_path):
    # start_proxy runs the server in tmp_path with LITELLM_MASTER_KEY in its environment.
    (tmp_path / ".env").write_text(
        "AGENTLLM_MAX_BODY_BYTES=2000\nLITELLM_MASTER_KEY=sk-from-dotenv-loses\n"
    )
    proxy = start_proxy(tmp_path)
    try:
        small = {"model": AGENT, "messages": [{"role": "user", "content": "hi"}]}
        big = {"model": AGENT, "messages": [{"role": "user", "content": "x" * 2000}]}
        headers = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
        url = f"{proxy.base_url}/chat/completions"
        assert httpx.post(url, content=json.dumps(small), headers=headers).status_code == 200
        refused = httpx.post(url, content=json.dumps(big), headers=headers)
        assert refused.status_code == 413
        assert "limit of 2000 bytes" in refused.json()["error"]["message"]
        dotenv_key = {**headers, "Authorization": "Bearer sk-from-dotenv-loses"}
        assert httpx.post(url, content=json.dumps(small), headers=dotenv_key).status_code == 401
    finally:
        stop_proxy(proxy)

"""The ``agentllm`` command as a person runs it: subprocesses, stdin piped, the real proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentllm import agents as registry
from agentllm.db import claim_sqlite
from tests.integration.conftest import MASTER_KEY, ROOT, Proxy, free_port
from tests.integration.postgres import running_cluster, server_bin

pytestmark = pytest.mark.integration
# Keys the machine may hold that no test here means to use (doctor checks each one it finds).
OTHER_KEYS = ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GITHUB_TOKEN", "JIRA_TOKEN")


def agentllm(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m agentllm ARGS`` (what the ``agentllm`` script runs) on the offline model."""
    return subprocess.run(
        [sys.executable, "-m", "agentllm", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=240,
        env={
            **{k: v for k, v in os.environ.items() if k not in OTHER_KEYS},
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "AGENTLLM_MODEL": "echo",
            "AGENTLLM_DB_URL": f"sqlite:///{cwd / 'chat.db'}",
            "GEMINI_API_KEY": "",
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(env or {}),
        },
    )


# --- chat in this process --------------------------------------------------------------------


def test_chat_in_process_keeps_the_conversation_across_turns(tmp_path):
    result = agentllm("chat", cwd=tmp_path, stdin="first words\nsecond words\n/exit\nnot sent\n")
    assert result.returncode == 0, result.stderr
    assert "context: first words\n" in result.stdout
    assert "context: first words | second words\n" in result.stdout
    assert "not sent" not in result.stdout


def test_chat_shows_reasoning_and_tool_calls_as_they_happen(tmp_path):
    result = agentllm(
        "chat", cwd=tmp_path, stdin="/think weighing it up\n/tool get_chat_history {}\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The reasoning on a line of its own, before the reply it led to.
    assert lines.index("weighing it up") < lines.index("echo: /think weighing it up")
    assert "⚙ get_chat_history {} …" in lines
    assert any(line.startswith("⚙ get_chat_history → ") for line in lines)


def test_chat_session_continues_in_a_later_run(tmp_path):
    first = agentllm("chat", "--session", "release-42", cwd=tmp_path, stdin="remember 42\n")
    assert first.returncode == 0, first.stderr
    later = agentllm("chat", "--session", "release-42", cwd=tmp_path, stdin="what number\n")
    assert "context: remember 42 | what number" in later.stdout
    other = agentllm("chat", "--session", "release-43", cwd=tmp_path, stdin="what number\n")
    assert "context: what number\n" in other.stdout


def test_chat_with_an_unknown_agent_names_the_agents(tmp_path):
    result = agentllm("chat", "no-such-agent", cwd=tmp_path, stdin="hi\n")
    assert result.returncode == 2
    assert "release-manager" in result.stderr


def test_chat_reports_a_failed_turn_in_a_line_and_goes_on(tmp_path):
    env = {"AGENTLLM_MODEL": "no-such-provider:x"}
    result = agentllm("chat", cwd=tmp_path, stdin="one\ntwo\n", env=env)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len([e for e in errors if e.startswith("error: ")]) == 2  # each turn tried
    assert "AGENTLLM_MODEL" in errors[0]
    assert "Traceback" not in result.stderr and "github.com" not in result.stderr


def test_chat_in_process_on_the_database_of_a_running_proxy_says_to_use_url(proxy, tmp_path):
    env = {"AGENTLLM_DB_URL": f"sqlite:///{proxy.db_path}"}
    result = agentllm("chat", cwd=tmp_path, stdin="hi\n", env=env)
    assert result.returncode == 2
    assert "--url" in result.stderr


# --- chat through a running proxy ------------------------------------------------------------


def test_chat_through_the_proxy_keeps_the_conversation(proxy: Proxy, tmp_path):
    args = ("chat", "release-manager", "--url", proxy.url, "--session", "via-proxy")
    result = agentllm(*args, cwd=tmp_path, stdin="alpha\nbeta\n")
    assert result.returncode == 0, result.stderr
    assert "context: alpha | beta\n" in result.stdout
    # The proxy stored it: a later run with the same session sees both turns.
    later = agentllm(*args, cwd=tmp_path, stdin="gamma\n")
    assert "context: alpha | beta | gamma\n" in later.stdout


def test_chat_through_the_proxy_takes_the_key_option(proxy: Proxy, tmp_path):
    args = ("chat", "--url", f"{proxy.url}/v1", "--key", proxy.key)
    result = agentllm(*args, cwd=tmp_path, stdin="keyed\n", env={"LITELLM_MASTER_KEY": ""})
    assert result.returncode == 0, result.stderr
    assert "echo: keyed\n" in result.stdout


def test_chat_with_a_wrong_key_says_which_option_to_set(proxy: Proxy, tmp_path):
    args = ("chat", "--url", proxy.url, "--key", "sk-wrong-key-000")
    result = agentllm(*args, cwd=tmp_path, stdin="hi\n")
    assert result.returncode == 1
    assert "--key" in result.stderr and "sk-wrong-key-000" not in result.stderr


def test_chat_with_no_proxy_there_says_to_start_one(tmp_path):
    result = agentllm(
        "chat", "--url", f"http://127.0.0.1:{free_port()}", cwd=tmp_path, stdin="hi\n"
    )
    assert result.returncode == 1
    assert "agentllm serve" in result.stderr


# --- doctor against real servers ---------------------------------------------------------------


def test_doctor_passes_the_port_of_a_running_agentllm_proxy(proxy: Proxy, tmp_path):
    port = proxy.url.rsplit(":", 1)[1]
    result = agentllm("doctor", "--port", port, cwd=tmp_path)
    assert "in use by a running agentllm proxy" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout
    assert MASTER_KEY not in result.stdout + result.stderr


def test_doctor_fails_the_port_of_a_proxy_that_refuses_the_configured_key(proxy, tmp_path):
    port = proxy.url.rsplit(":", 1)[1]
    env = {"LITELLM_MASTER_KEY": "sk-not-this-proxys-key"}
    result = agentllm("doctor", "--port", port, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "refuses this configuration's LITELLM_MASTER_KEY" in result.stdout
    assert "sk-not-this-proxys-key" not in result.stdout


@pytest.mark.skipif(server_bin() is None, reason="PostgreSQL server binaries are not installed")
def test_doctor_writes_to_a_real_postgresql(tmp_path):
    with running_cluster() as cluster:
        env = {"AGENTLLM_DB_URL": cluster.url, "PORT": str(free_port())}
        result = agentllm("doctor", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout
    assert "PostgreSQL at postgresql://postgres@127.0.0.1" in result.stdout
    assert "reachable and writable" in result.stdout


# --- serve ------------------------------------------------------------------------------------


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    result = agentllm(
        "serve",
        "--workers",
        "2",
        "--config",
        str(ROOT / "proxy_config.yaml"),
        "--runtime-config",
        str(tmp_path / "runtime.yaml"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr


# --- the command line as a process (moved from the unit suite, which starts none) ---------------


def test_agents_leaves_the_database_of_a_running_proxy_alone(tmp_path):
    # This process holds the SQLite database, as a running proxy would.
    url = f"sqlite:///{tmp_path / 'held.db'}"
    claim_sqlite(url)
    result = agentllm("agents", "--json", cwd=tmp_path, env={"AGENTLLM_DB_URL": url})
    assert result.returncode == 0, result.stderr
    assert {row["name"] for row in json.loads(result.stdout)} == set(registry.agent_names())


def test_doctor_passes_while_a_proxy_holds_the_sqlite_database(tmp_path):
    # This process holds the file, as a running proxy would; the model check builds the agents
    # on a throw-away database of its own, even with the settings already read.
    url = f"sqlite:///{tmp_path / 'db' / 'sessions.db'}"
    (tmp_path / "db").mkdir()
    claim_sqlite(url)
    result = agentllm(
        "doctor", cwd=tmp_path, env={"AGENTLLM_DB_URL": url, "PORT": str(free_port())}
    )
    assert "✓ model" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout


def test_the_console_script_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-c", "from agentllm.cli import main; main(['serve', '--help'])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--workers" in result.stdout and "--runtime-config" in result.stdout


def test_the_cli_answers_help_without_importing_litellm():
    # LiteLLM takes seconds to import: only the commands that run agents import it.
    probe = "import sys, agentllm.cli; print('litellm' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_python_m_agentllm_server_still_runs_serve():
    result = subprocess.run(
        [sys.executable, "-m", "agentllm.server", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "--workers" in result.stdout

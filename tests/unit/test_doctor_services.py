"""``agentllm doctor`` checks that a configured Jira answers (the check the server makes at
start-up), and says what to do when it does not."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from agentllm.cli import app, checks
from agentllm.tools import services
from tests.support.fake_jira import running_fake_jira
from tests.support.hung_listener import hung_listener


@pytest.fixture
def short_probe(monkeypatch):
    monkeypatch.setattr(services, "JIRA_PROBE_SECONDS", 0.3)


@pytest.fixture
def env(tmp_path, monkeypatch, short_probe) -> None:
    """Settings under which every other check passes: offline model, a fresh SQLite file."""
    for name in ("GEMINI_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "JIRA_TOKEN", "JIRA_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTLLM_MODEL", "echo")
    monkeypatch.setenv("AGENTLLM_DB_URL", f"sqlite:///{tmp_path / 'sessions.db'}")
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-doctor-test-key")
    monkeypatch.setenv("PORT", str(port))


def test_a_jira_that_answers_passes(short_probe):
    with running_fake_jira({}) as jira:
        outcome = checks.jira(jira.url)
    assert outcome.ok, outcome
    assert outcome.detail == f"{jira.url} answered"


def test_a_hung_jira_fails_with_a_fix_and_hides_the_password(short_probe):
    with hung_listener() as jira:
        url = jira.url.replace("http://", "http://bot:jirapass-7@")
        outcome = checks.jira(url)
        assert jira.connections() == 1
    assert not outcome.ok
    assert "did not answer (ReadTimeout)" in outcome.detail
    assert "jirapass-7" not in outcome.detail and "bot:***@" in outcome.detail
    assert "JIRA_SERVER_URL" in outcome.fix and "without Jira" in outcome.fix


def test_jira_unset_is_not_checked():
    assert checks.jira(None) == checks.Outcome(True, "not set")


def test_doctor_reports_a_hung_jira_and_exits_1(env, monkeypatch):
    with hung_listener() as jira:
        monkeypatch.setenv("JIRA_SERVER_URL", jira.url)
        result = CliRunner().invoke(app, ["doctor"])
        assert jira.connections() == 1
    assert result.exit_code == 1, result.output
    assert f"✗ Jira: {jira.url} did not answer (ReadTimeout)" in result.output


def test_doctor_reports_a_jira_that_answers_as_fine(env, monkeypatch):
    with running_fake_jira({}) as jira:
        monkeypatch.setenv("JIRA_SERVER_URL", jira.url)
        result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"✓ Jira: {jira.url} answered" in result.output

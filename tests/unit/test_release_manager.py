"""The release manager gets the git release tools for AGENTLLM_REPOS, Agno's GitHub and Jira tools
when they are configured and installed, and instructions that say what it lacks."""

from __future__ import annotations

import ast
import importlib.util
import logging
from pathlib import Path

import agno.tools
import pytest

from agentllm.agents import release_manager
from agentllm.tools import services
from agentllm.tools.release_tools import ReleaseTools

AGNO_TOOLS = Path(agno.tools.__file__).parent
SETTINGS = ("AGENTLLM_REPOS", "GITHUB_TOKEN", "JIRA_SERVER_URL", "JIRA_USERNAME", "JIRA_TOKEN")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's folder
    return monkeypatch


def tool_names(agent) -> list[str]:
    names = []
    for tool in agent.tools:
        names += list(tool.functions) if isinstance(tool, agno.tools.Toolkit) else [tool.__name__]
    return names


def instructions(agent) -> str:
    return "\n".join(agent.instructions)


def test_without_repositories_it_has_no_git_tools_and_says_so(env):
    agent = release_manager.build()
    assert tool_names(agent) == ["get_chat_history"]
    text = instructions(agent)
    assert "no git repositories are configured (set AGENTLLM_REPOS" in text
    assert "GitHub (set GITHUB_TOKEN" in text and "Jira (set JIRA_SERVER_URL" in text


def test_configured_repositories_bring_the_release_tools(env, tmp_path):
    env.setenv("AGENTLLM_REPOS", f"demo={tmp_path},api={tmp_path}")
    agent = release_manager.build()
    [toolkit] = [t for t in agent.tools if isinstance(t, ReleaseTools)]
    assert [r.name for r in toolkit.repos] == ["demo", "api"]
    assert tool_names(agent) == [
        "get_chat_history",
        "release_status",
        "commits_since",
        "next_version",
        "changelog",
        "release_checklist",
    ]
    assert "by name: demo, api" in toolkit.instructions
    assert "AGENTLLM_REPOS" not in instructions(agent)


@pytest.mark.skipif(importlib.util.find_spec("github") is not None, reason="PyGithub installed")
def test_a_github_token_without_pygithub_is_named_in_the_log_and_the_instructions(env, caplog):
    env.setenv("GITHUB_TOKEN", "ghp_not_a_real_token")
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        agent = release_manager.build()
    assert "github" not in " ".join(tool_names(agent)).lower()
    assert "GitHub (GITHUB_TOKEN is set, but the pygithub package is not installed" in instructions(
        agent
    )
    assert "pip install pygithub" in caplog.text
    assert "ghp_not_a_real_token" not in caplog.text + instructions(agent)


@pytest.mark.skipif(importlib.util.find_spec("jira") is not None, reason="jira installed")
def test_jira_settings_without_the_jira_package_are_named_in_the_log_and_instructions(env, caplog):
    env.setenv("JIRA_SERVER_URL", "https://jira.example.org")
    env.setenv("JIRA_TOKEN", "jira-secret")
    with caplog.at_level(logging.WARNING, logger="agentllm.tools.services"):
        agent = release_manager.build()
    assert "Jira (JIRA_SERVER_URL is set, but the jira package is not installed" in instructions(
        agent
    )
    assert "pip install jira" in caplog.text and "jira-secret" not in caplog.text


def methods(source: Path, cls: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source.read_text())
    [node] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    return {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}


def test_only_reading_github_tools_are_attached_and_agno_still_has_them():
    # Read from Agno's source: importing agno.tools.github needs PyGithub.
    available = methods(AGNO_TOOLS / "github.py", "GithubTools")
    assert set(services.GITHUB_READ_TOOLS) <= set(available)
    writes = ("create", "update", "delete", "edit", "close", "reopen", "assign", "label", "set_")
    assert not [name for name in services.GITHUB_READ_TOOLS if name.startswith(writes)]
    assert "comment_on_issue" not in services.GITHUB_READ_TOOLS


def test_only_reading_jira_tools_are_enabled_and_agno_still_has_those_switches():
    init = methods(AGNO_TOOLS / "jira.py", "JiraTools")["__init__"]
    switches = {a.arg for a in init.args.kwonlyargs + init.args.args if a.arg.startswith("enable")}
    assert set(services.JIRA_SWITCHES) == switches
    assert {k for k, on in services.JIRA_SWITCHES.items() if on} == {
        "enable_get_issue",
        "enable_search_issues",
    }

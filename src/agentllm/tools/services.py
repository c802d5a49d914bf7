"""Agno's own GitHub and Jira toolkits, read-only, when their settings are present.

Agno's ``GithubTools`` needs PyGithub and ``JiraTools`` the ``jira`` package (both installed with
agentllm). Without its settings, its package or (Jira) an answering server a service is absent,
and what is missing is said to the agent (so it can tell the user) and in the log when the agent
is built.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import httpx
from agno.tools import Toolkit

from agentllm.config import Settings

log = logging.getLogger(__name__)

# GithubTools' functions that only read; its writing ones (create_*, delete_repository, ...) are
# never given to the agent.
GITHUB_READ_TOOLS = (
    "search_repositories",
    "list_repositories",
    "get_repository",
    "get_repository_languages",
    "get_repository_stars",
    "get_repository_with_stats",
    "list_branches",
    "get_pull_request",
    "get_pull_request_changes",
    "get_pull_request_count",
    "get_pull_requests",
    "get_pull_request_comments",
    "get_pull_request_with_details",
    "list_issues",
    "get_issue",
    "list_issue_comments",
    "get_file_content",
    "get_directory_content",
    "get_branch_content",
    "search_code",
    "search_issues_and_prs",
)
# How long the Jira server may take to answer before the agent is built without it. The jira
# client Agno makes retries a server that is down with backoff for about 100 s, on the request
# that builds the agent; one plain request first fails in this time instead.
JIRA_PROBE_SECONDS = 5.0
# JiraTools' switches: only reading issues and searching them.
JIRA_SWITCHES = {
    "enable_get_issue": True,
    "enable_search_issues": True,
    "enable_create_issue": False,
    "enable_add_comment": False,
    "enable_add_worklog": False,
}


def _toolkit_class(module: str, cls: str, package: str) -> type[Toolkit] | str:
    """Agno's ``module.cls``, or why it cannot be had (``package``: the PyPI name it needs)."""
    try:
        toolkit_class: type[Toolkit] = getattr(importlib.import_module(module), cls)
    except ImportError:
        log.warning(
            f"{cls} are configured but need the {package} package: `uv pip install {package}` "
            f"(or pip install {package}); the release manager runs without them"
        )
        return f"the {package} package is not installed on the server"
    return toolkit_class


def _toolkit(toolkit_class: type[Toolkit], **kwargs: Any) -> Toolkit | str:
    """``toolkit_class`` built with ``kwargs``, or why it could not be."""
    name = toolkit_class.__name__
    try:
        return toolkit_class(**kwargs)
    except Exception as exc:  # a client that cannot start: the agent still runs without it
        log.warning(f"{name} could not start ({type(exc).__name__}); running without them")
        return f"{name} could not start on the server ({type(exc).__name__})"


def _jira_unreachable(server_url: str) -> str | None:
    """Why the Jira server cannot be reached (None: it answered, whatever the status)."""
    try:
        httpx.get(f"{server_url.rstrip('/')}/rest/api/2/serverInfo", timeout=JIRA_PROBE_SECONDS)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # ValueError: a bad host
        log.warning(
            f"Jira at JIRA_SERVER_URL did not answer ({type(exc).__name__}); running without it"
        )
        return f"the server did not answer ({type(exc).__name__})"
    return None


def service_toolkits(config: Settings) -> tuple[list[Toolkit], list[str]]:
    """Agno's GitHub and Jira toolkits for ``config``, and a sentence for each one missing."""
    toolkits: list[Toolkit] = []
    missing: list[str] = []
    if config.github_token:
        github_class = _toolkit_class("agno.tools.github", "GithubTools", "pygithub")
        github = (
            github_class
            if isinstance(github_class, str)
            else _toolkit(
                github_class,
                access_token=config.github_token.get_secret_value(),
                include_tools=list(GITHUB_READ_TOOLS),
            )
        )
        if isinstance(github, Toolkit):
            toolkits.append(github)
        else:
            missing.append(f"GitHub (GITHUB_TOKEN is set, but {github})")
    else:
        missing.append("GitHub (set GITHUB_TOKEN to read pull requests and issues)")
    if config.jira_server_url:
        jira_class = _toolkit_class("agno.tools.jira", "JiraTools", "jira")
        jira = (
            jira_class
            if isinstance(jira_class, str)
            else _jira_unreachable(config.jira_server_url)
            or _toolkit(
                jira_class,
                server_url=config.jira_server_url,
                username=config.jira_username,
                token=config.jira_token.get_secret_value() if config.jira_token else None,
                **JIRA_SWITCHES,
            )
        )
        if isinstance(jira, Toolkit):
            toolkits.append(jira)
        else:
            missing.append(f"Jira (JIRA_SERVER_URL is set, but {jira})")
    else:
        missing.append("Jira (set JIRA_SERVER_URL, JIRA_USERNAME and JIRA_TOKEN to read issues)")
    return toolkits, missing

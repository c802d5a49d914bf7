"""Agno's own GitHub and Jira toolkits, read-only, when their settings are present.

Agno's ``GithubTools`` needs PyGithub and ``JiraTools`` the ``jira`` package (both installed with
agentllm). Without its settings or its package a service is absent, and what is missing is said
to the agent (so it can tell the user) and in the log.

Building an agent does no network I/O (it may happen while requests are served). Whether Jira
answers is checked by :func:`check_reachability` when the server starts, and by ``agentllm
doctor``; agents built afterwards in the process leave out a Jira that did not answer. Where no
check ran (in-process use, tests) Jira is attached as configured; its client connects on the
first tool call (:mod:`agentllm.tools.jira_reader`).
"""

from __future__ import annotations

import importlib
import logging
import threading
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
# How long the Jira server may take to answer the start-up (or doctor) check before the agents
# go without it. The jira client retries a server that is down with backoff for about 100 s; one
# plain request fails in this time instead.
JIRA_PROBE_SECONDS = 5.0

# What the checks found, by Jira server URL: why it did not answer, or None. Written at start-up
# (or by doctor), read by every agent build.
_jira_checked: dict[str, str | None] = {}
_checked_lock = threading.Lock()


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


def check_jira(server_url: str) -> str | None:
    """Why the Jira server cannot be reached (None: it answered, whatever the status), remembered
    for the agents built later in this process. Blocks up to :data:`JIRA_PROBE_SECONDS`: call it
    at start-up or from ``agentllm doctor``, never while serving a request."""
    problem = None
    try:
        httpx.get(f"{server_url.rstrip('/')}/rest/api/2/serverInfo", timeout=JIRA_PROBE_SECONDS)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # ValueError: a bad host
        log.warning(
            f"Jira at JIRA_SERVER_URL did not answer ({type(exc).__name__}); the release manager "
            "runs without it"
        )
        problem = f"the server did not answer ({type(exc).__name__})"
    with _checked_lock:
        _jira_checked[server_url] = problem
    return problem


def check_reachability(config: Settings) -> dict[str, str | None]:
    """Check each configured service that has a server to ask (Jira); by name, why it cannot be
    reached (None: it answered). The server calls this once at start-up (see
    :func:`check_jira`)."""
    if not config.jira_server_url:
        return {}
    return {"Jira": check_jira(config.jira_server_url)}


def _jira_problem(server_url: str) -> str | None:
    """What the last check of ``server_url`` found; None when it answered or was not checked."""
    with _checked_lock:
        return _jira_checked.get(server_url)


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
        url = config.jira_server_url
        problem = jira_class if isinstance(jira_class, str) else _jira_problem(url)
        jira: Toolkit | str
        if problem is None:
            from agentllm.tools.jira_reader import JiraReader  # needs the jira package

            jira = _toolkit(
                JiraReader,
                server_url=config.jira_server_url,
                username=config.jira_username,
                token=config.jira_token.get_secret_value() if config.jira_token else None,
            )
        else:
            jira = problem
        if isinstance(jira, Toolkit):
            toolkits.append(jira)
        else:
            missing.append(f"Jira (JIRA_SERVER_URL is set, but {jira})")
    else:
        missing.append("Jira (set JIRA_SERVER_URL, JIRA_USERNAME and JIRA_TOKEN to read issues)")
    return toolkits, missing

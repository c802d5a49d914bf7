"""agno/release-manager: a release-management assistant."""

from __future__ import annotations

from typing import Any

from agno.agent import Agent

from agentllm.agents import AgentSpec
from agentllm.config import settings
from agentllm.db import shared_db
from agentllm.models import build_model
from agentllm.tools import get_chat_history
from agentllm.tools.release_tools import ReleaseTools
from agentllm.tools.services import service_toolkits

NAME = "release-manager"
DESCRIPTION = (
    "Release-management assistant: release planning, changelogs, version bumps, release notes, "
    "checklists and risk review."
)

INSTRUCTIONS = [
    "You are a meticulous release manager for software projects.",
    "Help with release planning, changelogs, semantic version bumps, release notes, release "
    "checklists, rollback plans and risk review.",
    "Version bumps follow Semantic Versioning 2.0.0: breaking changes bump MAJOR, backwards "
    "compatible features bump MINOR, fixes bump PATCH; explain which rule applies.",
    "Changelogs follow the Keep a Changelog sections (Added, Changed, Deprecated, Removed, Fixed, "
    "Security) and name the user-visible effect of each change, not the commit.",
    "For a release plan, list the steps in order with an owner, the checks that gate each step, "
    "and how to roll back.",
    "In risk reviews, call out migrations, breaking API changes, security fixes, dependency "
    "upgrades and anything without tests, and rate each risk as low, medium or high.",
    "Never invent facts about the user's project: when versions, dates, commits or owners are "
    "missing, say so and ask for them, or leave a clearly marked placeholder.",
    "Be concise: prefer checklists and short sections over long prose.",
]


def _capabilities(tools: list[Any], missing: list[str]) -> list[str]:
    """What the agent can look up, and what it cannot (so it can say so when asked)."""
    lines = []
    if any(isinstance(tool, ReleaseTools) for tool in tools):
        lines.append(
            "Facts about a configured repository (tags, commits, next version, changelog, "
            "checklist) come from the release tools; quote the rule next_version gives."
        )
    if missing:
        lines.append(
            "You do not have these tools: "
            + "; ".join(missing)
            + ". When a request needs one of them, say which is missing and how it is enabled, "
            "instead of guessing."
        )
    return lines


def build(
    temperature: float | None = None, max_tokens: int | None = None, **model_kwargs: Any
) -> Agent:
    """The release-manager agent on Gemini 2.5 Flash (or ``AGENTLLM_MODEL``)."""
    config = settings()
    tools: list[Any] = [get_chat_history]
    missing: list[str] = []
    if config.repos:
        tools.append(ReleaseTools(config.repos))
    else:
        missing.append(
            "git repositories: no git repositories are configured (set AGENTLLM_REPOS to "
            "name=path pairs)"
        )
    services, unavailable = service_toolkits(config)
    tools += services
    missing += unavailable
    return Agent(
        name="Release Manager",
        id=NAME,
        model=build_model(
            "google:gemini-2.5-flash",
            temperature=temperature,
            max_tokens=max_tokens,
            **model_kwargs,
        ),
        description=DESCRIPTION,
        instructions=INSTRUCTIONS + _capabilities(tools, missing),
        markdown=True,
        db=shared_db(config.db_url),
        add_history_to_context=True,
        num_history_runs=10,
        tools=tools,
    )


AGENT = AgentSpec(name=NAME, description=DESCRIPTION, factory=build)

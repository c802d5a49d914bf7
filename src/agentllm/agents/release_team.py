"""agno/release-team: the release manager leading a changelog writer and a reviewer (a Team)."""

from __future__ import annotations

from typing import Any

from agno.agent import Agent
from agno.team import Team

from agentllm.agents import AgentSpec
from agentllm.config import settings
from agentllm.db import shared_db
from agentllm.models import build_model
from agentllm.tools.release_tools import ReleaseTools

NAME = "release-team"
DESCRIPTION = (
    "Release team: the release manager delegates the changelog to a writer and has a reviewer "
    "check the release for risks before answering."
)
MODEL = "google:gemini-2.5-flash"


def build(
    temperature: float | None = None, max_tokens: int | None = None, **model_kwargs: Any
) -> Team:
    """The release team on Gemini 2.5 Flash (or ``AGENTLLM_MODEL``); members share the tools."""
    config = settings()
    tools: list[Any] = [ReleaseTools(config.repos)] if config.repos else []

    def model() -> Any:
        return build_model(MODEL, temperature=temperature, max_tokens=max_tokens, **model_kwargs)

    writer = Agent(
        name="Changelog Writer",
        id="changelog-writer",
        role="Writes Keep a Changelog sections and plain-language release notes",
        model=model(),
        instructions=[
            "Write changelog entries under Keep a Changelog headings (Added, Changed, Deprecated, "
            "Removed, Fixed, Security), one user-visible effect per line.",
            "Use the changelog tool for a configured repository; never invent commits.",
        ],
        tools=tools,
    )
    reviewer = Agent(
        name="Release Reviewer",
        id="release-reviewer",
        role="Reviews a planned release for risks and missing steps",
        model=model(),
        instructions=[
            "Review the release: breaking changes, migrations, missing tests or CI, version "
            "strings that disagree with the tag. Rate each risk low, medium or high.",
            "Use the release_checklist tool for a configured repository.",
        ],
        tools=tools,
    )
    return Team(
        name="Release Team",
        id=NAME,
        model=model(),
        members=[writer, reviewer],
        description=DESCRIPTION,
        instructions=[
            "You lead a release: delegate the changelog to the Changelog Writer and the risk "
            "review to the Release Reviewer when the request needs them, then answer with their "
            "work combined, concisely.",
        ],
        markdown=True,
        db=shared_db(config.db_url),
        add_history_to_context=True,
        num_history_runs=10,
    )


AGENT = AgentSpec(name=NAME, description=DESCRIPTION, factory=build)

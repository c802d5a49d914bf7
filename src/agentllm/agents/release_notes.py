"""agno/release-notes: a two-step Agno Workflow. An analyst gathers the facts of a release (with
the release tools), then an editor turns them into release notes."""

from __future__ import annotations

from typing import Any

from agno.agent import Agent
from agno.workflow import Step, Workflow

from agentllm.agents import AgentSpec
from agentllm.config import settings
from agentllm.db import shared_db
from agentllm.models import build_model
from agentllm.tools.release_tools import ReleaseTools

NAME = "release-notes"
DESCRIPTION = (
    "Release notes workflow: an analyst gathers the release's facts from the repository, then an "
    "editor writes the notes (the analysis is shown as the model's reasoning)."
)
MODEL = "google:gemini-2.5-flash"


def build(
    temperature: float | None = None, max_tokens: int | None = None, **model_kwargs: Any
) -> Workflow:
    """The workflow on Gemini 2.5 Flash (or ``AGENTLLM_MODEL``); the analyst has the tools."""
    config = settings()
    tools: list[Any] = [ReleaseTools(config.repos)] if config.repos else []

    def model() -> Any:
        return build_model(MODEL, temperature=temperature, max_tokens=max_tokens, **model_kwargs)

    analyst = Agent(
        name="Release Analyst",
        id="release-analyst",
        model=model(),
        instructions=[
            "Gather the facts the user's release needs: the latest tag, the commits since it by "
            "type, breaking changes, the next version and the rule that decided it, and what "
            "the release checklist reports.",
            "Use the release tools for a configured repository; never invent commits or versions. "
            "Without a repository, list what you would need to know.",
            "Answer with the facts only, as a terse list; an editor writes the notes from it.",
        ],
        tools=tools,
    )
    editor = Agent(
        name="Release Editor",
        id="release-editor",
        model=model(),
        instructions=[
            "You receive an analyst's facts about a release. Write release notes for users: a "
            "one-line summary with the version, then Keep a Changelog sections (Added, Changed, "
            "Deprecated, Removed, Fixed, Security), breaking changes first, with upgrade steps.",
            "Use only the facts you were given; mark anything missing as a placeholder.",
        ],
        markdown=True,
    )
    return Workflow(
        name="Release Notes",
        id=NAME,
        description=DESCRIPTION,
        steps=[Step(name="analyse", agent=analyst), Step(name="write", agent=editor)],
        db=shared_db(config.db_url),
    )


AGENT = AgentSpec(name=NAME, description=DESCRIPTION, factory=build)

"""The release manager's read-only git toolkit: status, commits, next version, changelog and
checklist of the repositories named in ``AGENTLLM_REPOS``.

Each tool returns compact JSON (the changelog: Markdown text); a refused repository or ref, or a
git call that fails, is a ``{"error": ...}`` answer the model can act on, never an exception.
This module is what the model sees (the tools and their docstrings); the answers are worked out
in ``release_history.py`` (status, commits, next version, changelog) and
``release_checklist.py`` (the checklist).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from agno.tools import Toolkit

from agentllm.config import Repository
from agentllm.tools import release_history
from agentllm.tools.git import GIT_TIMEOUT, MAX_OUTPUT, GitError, Limits, open_repository
from agentllm.tools.release_checklist import checklist

log = logging.getLogger(__name__)


class ReleaseTools(Toolkit):
    """Read-only release tools over the configured git repositories."""

    def __init__(
        self,
        repos: Sequence[Repository],
        timeout: float = GIT_TIMEOUT,
        max_output: int = MAX_OUTPUT,
        **kwargs: Any,
    ) -> None:
        self.repos = tuple(repos)
        self.limits = Limits(timeout=timeout, max_output=max_output)
        names = ", ".join(repo.name for repo in self.repos) or "none"
        super().__init__(
            name="release_tools",
            tools=[
                self.release_status,
                self.commits_since,
                self.next_version,
                self.changelog,
                self.release_checklist,
            ],
            instructions=(
                f"Git repositories you can read with the release tools, by name: {names}. Use "
                "these tools for any fact about them (tags, commits, versions, files) instead "
                "of guessing, and pass the repository's name, never a path."
            ),
            add_instructions=True,
            **kwargs,
        )

    # --- The tools (their docstrings are what the model reads) ----------------------------

    def release_status(self, repo: str) -> str:
        """Where a repository stands before a release: its latest release tag, how many commits
        were made since that tag, and whether the working tree is clean.

        Args:
            repo: The repository's configured name, e.g. "demo" (a name, never a path).

        Returns:
            JSON with latest_tag, version, commits_since, head, branch, clean and changes
            (uncommitted files).
        """
        return self._answer(repo, release_history.status)

    def commits_since(self, repo: str, ref: str | None = None) -> str:
        """The commits since the latest release tag (or since a given ref, or between two refs),
        grouped by Conventional Commit type, with breaking changes flagged and contributors
        listed.

        Args:
            repo: The repository's configured name, e.g. "demo".
            ref: Optional. A tag, branch or commit to start after ("v1.2.0"), or a range of two
                refs ("v1.1.0..v1.2.0"). Default: the latest release tag.

        Returns:
            JSON with range, commits (count), breaking, groups (by type) and contributors.
        """
        return self._answer(repo, release_history.commits_since, ref)

    def next_version(self, repo: str, pre: str | None = None) -> str:
        """The next version by Semantic Versioning, from the commits since the latest release,
        and the rule that decided it (breaking change: MAJOR, feat: MINOR, fix: PATCH).

        Args:
            repo: The repository's configured name, e.g. "demo".
            pre: Optional pre-release label such as "alpha", "beta" or "rc" (the number is
                counted on from existing tags, e.g. 1.3.0-rc.2). Default: a final release.

        Returns:
            JSON with next_version, tag, bump, rule, latest_tag and since.
        """
        return self._answer(repo, release_history.next_version, pre)

    def changelog(self, repo: str, since: str | None = None) -> str:
        """A Keep a Changelog section (Added, Changed, Deprecated, Removed, Fixed, Security) for
        the unreleased commits, followed by release notes in plain language.

        Args:
            repo: The repository's configured name, e.g. "demo".
            since: Optional. A tag, branch or commit to start after, or a range "A..B".
                Default: the latest release tag.

        Returns:
            Markdown: the range, the "## [Unreleased]" section, then "Release notes:".
        """
        return self._answer(repo, release_history.unreleased_changelog, since)

    def release_checklist(self, repo: str) -> str:
        """A pre-release checklist from the repository's own files (as committed at HEAD): tests
        and CI present, version strings (pyproject.toml, package.json, __version__) that
        disagree with the latest tag, an Unreleased section in CHANGELOG.md, uncommitted
        changes, unreleased commits.

        Args:
            repo: The repository's configured name, e.g. "demo".

        Returns:
            JSON with ready (true when no check failed) and checks (check, ok, detail).
        """
        return self._answer(repo, checklist)

    # --- How they work --------------------------------------------------------------------

    def _answer(self, repo: str, work: Callable[..., Any], *args: Any) -> str:
        try:
            opened = open_repository(self.repos, repo, self.limits)
            result = work(opened, *args)
        except GitError as exc:
            return json.dumps({"error": str(exc)}, ensure_ascii=False)
        except Exception:
            log.exception("release tool failed on repository %r", repo)
            return json.dumps(
                {"error": f"the tool failed on repository {repo!r}; the proxy's log has details"}
            )
        return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)

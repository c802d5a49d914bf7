"""The release manager's read-only git toolkit: status, commits, next version, changelog and
checklist of the repositories named in ``AGENTLLM_REPOS``.

Each tool returns compact JSON (the changelog: Markdown text); a refused repository or ref, or a
git call that fails, is a ``{"error": ...}`` answer the model can act on, never an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from agno.tools import Toolkit

from agentllm.config import Repository
from agentllm.tools import changelog, project_files, releases
from agentllm.tools.git import (
    GIT_TIMEOUT,
    MAX_OUTPUT,
    GitError,
    GitRepository,
    Limits,
    TreeEntry,
    check_ref,
    open_repository,
)
from agentllm.tools.releases import Commit, Decision, Tag

log = logging.getLogger(__name__)

MAX_COMMITS = 1000  # listed per call; counts are exact
MAX_CHANGES = 20  # uncommitted changes listed
_VERSION_FILES = ("__init__.py", "_version.py", "__about__.py", "version.py")
_CHANGELOGS = ("changelog.md", "changelog", "changes.md", "history.md")


@dataclass(frozen=True)
class History:
    """HEAD and the release tags of an opened repository."""

    head: str | None
    reachable: list[Tag]  # release tags HEAD contains
    everywhere: list[Tag]  # every release tag

    @property
    def newest(self) -> Tag | None:
        return releases.latest(self.reachable)

    @property
    def stable(self) -> Tag | None:
        return releases.latest(self.reachable, stable=True)


def _tags(pairs: list[tuple[str, str]]) -> list[Tag]:
    found = (releases.tag(name, sha) for name, sha in pairs)
    return [t for t in found if t is not None]


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


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
        return self._answer(repo, self._status)

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
        return self._answer(repo, self._commits_since, ref)

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
        return self._answer(repo, self._next_version, pre)

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
        return self._answer(repo, self._changelog, since)

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
        return self._answer(repo, self._checklist)

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

    def _history(self, repo: GitRepository) -> History:
        head = repo.head()
        if head is None:
            return History(None, [], [])
        return History(head, _tags(repo.tags(merged_into=head)), _tags(repo.tags()))

    @staticmethod
    def _require_commits(repo: GitRepository, history: History) -> str:
        if history.head is None:
            raise GitError(f"repository {repo.name!r} has no commits yet")
        return history.head

    def _commits(self, repo: GitRepository, revisions: list[str]) -> tuple[list[Commit], int]:
        """The parsed commits of ``revisions`` (at most MAX_COMMITS) and how many there are."""
        listed = [releases.parse_commit(*fields) for fields in repo.log(revisions, MAX_COMMITS)]
        total = repo.count(revisions) if len(listed) >= MAX_COMMITS else len(listed)
        return listed[::-1], total  # oldest first

    def _range(
        self, repo: GitRepository, history: History, ref: str | None
    ) -> tuple[str, list[str]]:
        """A label and commit-id revisions for ``ref`` (default: since the latest tag)."""
        head = self._require_commits(repo, history)
        if ref is None:
            newest = history.newest
            if newest is None:
                return "HEAD (no release tag: all commits)", [head]
            return f"{newest.name}..HEAD", [f"{newest.commit}..{head}"]
        check_ref(ref)
        if "..." in ref:
            raise GitError(f"refused range {ref!r}: use two dots, A..B (commits in B, not in A)")
        if ".." in ref:
            start, end = ref.split("..", 1)
            start_id = repo.commit(start) if start else head
            end_id = repo.commit(end) if end else head
            return ref, [f"{start_id}..{end_id}"]
        return f"{ref}..HEAD", [f"{repo.commit(ref)}..{head}"]

    def _decision(
        self, repo: GitRepository, history: History, pre: str | None = None
    ) -> tuple[Decision, int]:
        head = self._require_commits(repo, history)
        stable = history.stable
        revisions = [f"{stable.commit}..{head}"] if stable else [head]
        commits, total = self._commits(repo, revisions)
        decision = releases.next_version(
            history.reachable, commits, pre=pre, all_tags=history.everywhere
        )
        return decision, total

    def _status(self, repo: GitRepository) -> dict[str, Any]:
        history = self._history(repo)
        newest, changes = history.newest, repo.status()
        result: dict[str, Any] = {
            "repo": repo.name,
            "latest_tag": newest.name if newest else None,
            "version": str(newest.version) if newest else None,
        }
        stable = history.stable
        if newest is not None and stable is not None and stable is not newest:
            result["latest_release"] = stable.name
        if history.head is None:
            result.update(commits_since=0, head=None, branch=repo.branch())
            result["note"] = "empty repository: no commits yet"
        else:
            since = [f"{newest.commit}..{history.head}"] if newest else [history.head]
            result.update(
                commits_since=repo.count(since), head=history.head[:7], branch=repo.branch()
            )
            if newest is None:
                result["note"] = "no release tag (vX.Y.Z) yet: commits_since counts all commits"
        result["clean"] = None if changes is None else not changes
        result["changes"] = None if changes is None else changes[:MAX_CHANGES]
        if changes and len(changes) > MAX_CHANGES:
            result["more_changes"] = len(changes) - MAX_CHANGES
        return result

    def _commits_since(self, repo: GitRepository, ref: str | None) -> dict[str, Any]:
        history = self._history(repo)
        label, revisions = self._range(repo, history, ref)
        commits, total = self._commits(repo, revisions)
        result: dict[str, Any] = {"repo": repo.name, "range": label, "commits": total}
        if total > len(commits):
            result["listed"] = f"the newest {len(commits)}"
        result.update(
            breaking=releases.breaking_changes(commits),
            groups=releases.grouped(commits),
            contributors=releases.contributors(commits),
        )
        return result

    def _next_version(self, repo: GitRepository, pre: str | None) -> dict[str, Any]:
        history = self._history(repo)
        try:
            decision, total = self._decision(repo, history, pre)
        except ValueError as exc:
            raise GitError(str(exc)) from None
        result = {
            "next_version": decision.version,
            "tag": decision.tag,
            "bump": decision.bump,
            "rule": decision.rule,
            "latest_tag": decision.current,
            "since": decision.since,
            "commits": total,
        }
        if total > MAX_COMMITS:
            result["warning"] = (
                f"decided from the newest {MAX_COMMITS} of {total} commits: a breaking change "
                "or feature in an older one would make the bump larger; check before tagging"
            )
        return result

    def _changelog(self, repo: GitRepository, since: str | None) -> str:
        history = self._history(repo)
        label, revisions = self._range(repo, history, since)
        commits, total = self._commits(repo, revisions)
        version = self._decision(repo, history)[0].version if since is None else None
        heading = f"Unreleased commits: {label} ({total})"
        if version:
            heading += f"; next version {version}"
        if total > len(commits):
            heading += f"; only the newest {len(commits)} are shown"
        return (
            f"{heading}\n\n{changelog.changelog_section(commits)}\n"
            f"Release notes:\n{changelog.release_notes(commits, version)}"
        )

    def _checklist(self, repo: GitRepository) -> dict[str, Any]:
        history = self._history(repo)
        head = self._require_commits(repo, history)
        newest = history.newest
        decision, _ = self._decision(repo, history)
        since = [f"{newest.commit}..{head}"] if newest else [head]
        unreleased = repo.count(since)
        checks: list[dict[str, Any]] = []

        def check(name: str, ok: bool | None, detail: str) -> None:
            checks.append({"check": name, "ok": ok, "detail": detail})

        try:
            tree: dict[str, TreeEntry] | None = repo.tree(head)
        except GitError as exc:
            tree = None
            check("files", None, f"could not list the files: {exc}")
        if tree is not None:
            self._check_files(repo, tree, newest, decision, unreleased, check)

        changes = repo.status()
        if changes is None:
            check("clean working tree", None, "bare repository: no working tree")
        elif changes:
            shown = ", ".join(changes[:5]) + (", …" if len(changes) > 5 else "")
            check(
                "clean working tree",
                False,
                f"{_plural(len(changes), 'uncommitted change')}: {shown}",
            )
        else:
            check("clean working tree", True, "no uncommitted changes")
        since_label = f"since {newest.name}" if newest else "(no release tag yet)"
        check(
            "unreleased commits", unreleased > 0, f"{_plural(unreleased, 'commit')} {since_label}"
        )
        return {
            "repo": repo.name,
            "ready": all(c["ok"] is not False for c in checks),
            "latest_tag": newest.name if newest else None,
            "next_version": decision.version,
            "checks": checks,
        }

    def _check_files(
        self,
        repo: GitRepository,
        tree: dict[str, TreeEntry],
        newest: Tag | None,
        decision: Decision,
        unreleased: int,
        check: Callable[[str, bool | None, str], None],
    ) -> None:
        paths = list(tree)
        tests = project_files.tests_in(paths)
        if tests:
            folders = list(dict.fromkeys(f"{PurePosixPath(t).parts[0]}/" for t in tests))
            where = ", ".join(folders[:3]) + (", …" if len(folders) > 3 else "")
            check("tests", True, f"{_plural(len(tests), 'test file')} ({where})")
        else:
            check("tests", False, "no test files found")
        ci = project_files.ci_configs_in(paths)
        check("ci", bool(ci), ", ".join(ci[:5]) if ci else "no CI configuration found")

        modules = sorted(
            (p for p in paths if PurePosixPath(p).name in _VERSION_FILES and p.count("/") <= 2),
            key=lambda p: (p.count("/"), p),
        )
        candidates = ["pyproject.toml", "package.json", *modules[:5]]
        for path in candidates:
            if path not in tree:
                continue
            try:
                text = repo.read(tree, path)
            except GitError as exc:
                check(f"version in {path}", False, str(exc))
                continue
            declared = project_files.declared_version(path, text or "")
            if declared is None:
                if path in ("pyproject.toml", "package.json"):
                    check(f"version in {path}", None, "no version declared")
                continue
            check(f"version in {path}", *self._version_check(declared, newest, decision))

        changelog = next((p for p in paths if p.lower() in _CHANGELOGS), None)
        if changelog is None:
            check("changelog", False, "no CHANGELOG.md")
            return
        try:
            entries = project_files.unreleased_entries(repo.read(tree, changelog) or "")
        except GitError as exc:
            check("changelog", False, str(exc))
            return
        if entries is None:
            check("changelog", False, f"{changelog} has no Unreleased section")
        elif entries == 0 and unreleased:
            check("changelog", False, f"{changelog}: the Unreleased section is empty")
        else:
            listed = _plural(entries, "entry", "entries")
            check("changelog", True, f"{changelog}: Unreleased section with {listed}")

    @staticmethod
    def _version_check(
        declared: str, newest: Tag | None, decision: Decision
    ) -> tuple[bool | None, str]:
        if declared == project_files.DYNAMIC:
            return True, "dynamic: set by the build (e.g. from the tag)"
        if newest is None:
            return True, f"{declared}; no release tag to compare with"
        if project_files.same_version(declared, str(newest.version)):
            return True, f"{declared}, as tag {newest.name}"
        if decision.version and project_files.same_version(declared, decision.version):
            return True, f"{declared}: already the next version (latest tag {newest.name})"
        upcoming = f" (next version: {decision.version})" if decision.version else ""
        return False, f"{declared}, but the latest tag {newest.name} is {newest.version}{upcoming}"

"""What a repository's history says, as the release tools answer it: where it stands, the
commits since a release, the next version and the unreleased changelog.

Works on an opened ``GitRepository`` and raises ``GitError``; ``release_tools.py`` turns that
into the model's ``{"error": ...}`` answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentllm.tools import changelog, releases
from agentllm.tools.git import GitError, GitRepository, check_ref
from agentllm.tools.releases import Commit, Decision, Tag

MAX_COMMITS = 1000  # listed per call; counts are exact
MAX_CHANGES = 20  # uncommitted changes listed


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


def read_history(repo: GitRepository) -> History:
    """HEAD and the release tags of ``repo`` (an empty repository has neither)."""
    head = repo.head()
    if head is None:
        return History(None, [], [])
    return History(head, _tags(repo.tags(merged_into=head)), _tags(repo.tags()))


def require_commits(repo: GitRepository, history: History) -> str:
    """HEAD's commit id; raises if the repository has no commits yet."""
    if history.head is None:
        raise GitError(f"repository {repo.name!r} has no commits yet")
    return history.head


def read_commits(repo: GitRepository, revisions: list[str]) -> tuple[list[Commit], int]:
    """The parsed commits of ``revisions`` (at most MAX_COMMITS) and how many there are."""
    listed = [releases.parse_commit(*fields) for fields in repo.log(revisions, MAX_COMMITS)]
    total = repo.count(revisions) if len(listed) >= MAX_COMMITS else len(listed)
    return listed[::-1], total  # oldest first


def commit_range(repo: GitRepository, history: History, ref: str | None) -> tuple[str, list[str]]:
    """A label and commit-id revisions for ``ref`` (default: since the latest tag)."""
    head = require_commits(repo, history)
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


def decide(repo: GitRepository, history: History, pre: str | None = None) -> tuple[Decision, int]:
    """The next-version decision from the commits since the latest stable tag, and their count."""
    head = require_commits(repo, history)
    stable = history.stable
    revisions = [f"{stable.commit}..{head}"] if stable else [head]
    commits, total = read_commits(repo, revisions)
    decision = releases.next_version(
        history.reachable, commits, pre=pre, all_tags=history.everywhere
    )
    return decision, total


# --- The answers (``ReleaseTools`` serialises them) -------------------------------------------


def status(repo: GitRepository) -> dict[str, Any]:
    """``release_status``: the latest tag, commits since it, and the working tree's state."""
    history = read_history(repo)
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
        result.update(commits_since=repo.count(since), head=history.head[:7], branch=repo.branch())
        if newest is None:
            result["note"] = "no release tag (vX.Y.Z) yet: commits_since counts all commits"
    result["clean"] = None if changes is None else not changes
    result["changes"] = None if changes is None else changes[:MAX_CHANGES]
    if changes and len(changes) > MAX_CHANGES:
        result["more_changes"] = len(changes) - MAX_CHANGES
    return result


def commits_since(repo: GitRepository, ref: str | None) -> dict[str, Any]:
    """``commits_since``: the range's commits grouped by type, breaking changes, contributors."""
    history = read_history(repo)
    label, revisions = commit_range(repo, history, ref)
    commits, total = read_commits(repo, revisions)
    result: dict[str, Any] = {"repo": repo.name, "range": label, "commits": total}
    if total > len(commits):
        result["listed"] = f"the newest {len(commits)}"
    result.update(
        breaking=releases.breaking_changes(commits),
        groups=releases.grouped(commits),
        contributors=releases.contributors(commits),
    )
    return result


def next_version(repo: GitRepository, pre: str | None) -> dict[str, Any]:
    """``next_version``: the next SemVer version and the rule that decided it."""
    history = read_history(repo)
    try:
        decision, total = decide(repo, history, pre)
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


def unreleased_changelog(repo: GitRepository, since: str | None) -> str:
    """``changelog``: the range, its Keep a Changelog section, then plain release notes."""
    history = read_history(repo)
    label, revisions = commit_range(repo, history, since)
    commits, total = read_commits(repo, revisions)
    version = decide(repo, history)[0].version if since is None else None
    heading = f"Unreleased commits: {label} ({total})"
    if version:
        heading += f"; next version {version}"
    if total > len(commits):
        heading += f"; only the newest {len(commits)} are shown"
    return (
        f"{heading}\n\n{changelog.changelog_section(commits)}\n"
        f"Release notes:\n{changelog.release_notes(commits, version)}"
    )

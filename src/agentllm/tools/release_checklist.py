"""The release manager's pre-release checklist, from a repository's own files as committed at
HEAD: tests and CI present, declared versions against the latest tag, the changelog's
Unreleased section, uncommitted changes and unreleased commits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from agentllm.tools import project_files
from agentllm.tools.git import GitError, GitRepository, TreeEntry
from agentllm.tools.release_history import decide, read_history, require_commits
from agentllm.tools.releases import Decision, Tag

_VERSION_FILES = ("__init__.py", "_version.py", "__about__.py", "version.py")
_CHANGELOGS = ("changelog.md", "changelog", "changes.md", "history.md")

Check = Callable[[str, bool | None, str], None]


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def checklist(repo: GitRepository) -> dict[str, Any]:
    """``release_checklist``: ready (no check failed) and each check with its detail."""
    history = read_history(repo)
    head = require_commits(repo, history)
    newest = history.newest
    decision, _ = decide(repo, history)
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
        _check_files(repo, tree, newest, decision, unreleased, check)

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
    check("unreleased commits", unreleased > 0, f"{_plural(unreleased, 'commit')} {since_label}")
    return {
        "repo": repo.name,
        "ready": all(c["ok"] is not False for c in checks),
        "latest_tag": newest.name if newest else None,
        "next_version": decision.version,
        "checks": checks,
    }


def _check_files(
    repo: GitRepository,
    tree: dict[str, TreeEntry],
    newest: Tag | None,
    decision: Decision,
    unreleased: int,
    check: Check,
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
        check(f"version in {path}", *_version_check(declared, newest, decision))

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

"""Real git repositories built in a temporary folder, for the release tools' tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The test's own git: no user or system configuration, fixed identities and dates.
ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "bot@example.org",
    "GIT_COMMITTER_DATE": "2024-05-01T12:00:00Z",
    "GIT_AUTHOR_DATE": "2024-05-01T12:00:00Z",
}
ADA = ("Ada Lovelace", "ada@example.org")
GRACE = ("Grace Hopper", "grace@example.org")


class GitRepo:
    """A work tree with helpers to commit files and tag."""

    def __init__(self, path: Path, bare: bool = False) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=ENV,
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout

    def write(self, name: str, text: str) -> Path:
        """Write a file in the work tree (not committed)."""
        file = self.path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
        return file

    def commit(
        self, message: str, files: dict[str, str] | None = None, author: tuple[str, str] = ADA
    ) -> str:
        """Commit ``files`` (default: a change to a log file) with ``message``; the new sha."""
        for name, text in (files or {"history.log": message + "\n"}).items():
            if name == "history.log" and (self.path / name).exists():
                text = (self.path / name).read_text() + text
            self.write(name, text)
        self.git("add", "-A")
        self.git(
            "-c",
            f"user.name={author[0]}",
            "-c",
            f"user.email={author[1]}",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message,
        )
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, annotated: bool = True) -> None:
        if annotated:
            self.git("-c", "user.name=Bot", "-c", "user.email=b@x", "tag", "-a", name, "-m", name)
        else:
            self.git("tag", name)


def feature_since_release(path: Path) -> GitRepo:
    """``v1.2.0``, then a fix and a feature: ``next_version`` says 1.3.0 (minor)."""
    repo = GitRepo(path)
    repo.commit("feat: first")
    repo.tag("v1.2.0")
    repo.commit("fix: a crash")
    repo.commit("feat(export): CSV export")
    return repo

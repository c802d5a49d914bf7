"""Read-only access to the git repositories named in ``AGENTLLM_REPOS``.

Every call is an argument list (never a shell string) with a timeout and an output limit. Tools
name a repository; only configured names open one. A ref from the model is refused when it looks
like an option and is then resolved to a commit id, which is all that reaches later commands.
Files are read from the commit tree, never from the filesystem, so a symlink pointing out of the
repository is seen as one and refused. Why each git setting is there: docs/release-tools.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentllm.config import Repository

log = logging.getLogger(__name__)

GIT_TIMEOUT = 10.0  # seconds, per git call
MAX_OUTPUT = 4 * 1024 * 1024  # bytes of stdout per git call
MAX_TREE_OUTPUT = 16 * 1024 * 1024  # a whole tree's file list may be larger
MAX_FILE = 1024 * 1024  # bytes of one file read from a commit
_MAX_STDERR = 16 * 1024
_MAX_REF = 200
_SYMLINK = "120000"
# An absolute path in git's messages: shown as <path>, since it may lie outside the repository.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/[^\s'\":,]+")


class GitError(Exception):
    """A repository or ref the tools refuse, or a git call that failed; safe to show the model."""


class GitFailed(GitError):
    """git ran and exited with an error."""


@dataclass(frozen=True)
class Limits:
    """How long one git call may take and how much it may print."""

    timeout: float = GIT_TIMEOUT
    max_output: int = MAX_OUTPUT


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str
    sha: str


def _environment(root: Path) -> dict[str, str]:
    """git's environment: no user or system configuration, no prompts, no optional locks (so
    ``status`` never rewrites the index), no lazy fetches, no walking up out of ``root``."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/"),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_LAZY_FETCH": "1",
        "GIT_CEILING_DIRECTORIES": str(root.parent),
    }


def _scrub(message: str) -> str:
    return _ABSOLUTE_PATH.sub("<path>", message).strip()


class GitRepository:
    """One configured repository, opened: ``git -C <its real path>`` with fixed options."""

    def __init__(self, name: str, root: Path, limits: Limits) -> None:
        self.name = name
        self.root = root
        self.limits = limits
        self._env = _environment(root)
        self._prefix = [
            "git",
            "--no-pager",
            "-c",
            f"safe.directory={root}",  # repositories may belong to another user
            "-c",
            "core.fsmonitor=false",  # a repository's config could name a program to run
            "-c",
            "core.quotePath=false",
            "-c",
            "log.showSignature=false",
            "-c",
            "i18n.logOutputEncoding=UTF-8",
            "-c",
            "color.ui=false",
            "-C",
            str(root),
        ]
        self.bare = self.run("rev-parse", "--is-bare-repository").strip() == "true"

    def run(self, *args: str, limit: int | None = None, ok: tuple[int, ...] = (0,)) -> str:
        """git's output for ``args``; ``GitError`` when it fails, times out or says too much."""
        data, _ = self.run_bytes(*args, limit=limit, ok=ok)
        return data.decode("utf-8", errors="replace")

    def run_bytes(
        self, *args: str, limit: int | None = None, ok: tuple[int, ...] = (0,)
    ) -> tuple[bytes, int]:
        limit = self.limits.max_output if limit is None else limit
        out, err, code = self._call([*self._prefix, *args], limit)
        if code not in ok:
            detail = _scrub(err.decode("utf-8", errors="replace").splitlines()[0] if err else "")
            log.info("git %s failed in %r (exit %s): %s", args[0], self.name, code, detail)
            raise GitFailed(
                f"git {args[0]} failed in repository {self.name!r} (exit {code})"
                + (f": {detail}" if detail else "")
            )
        return out, code

    def _call(self, argv: list[str], limit: int) -> tuple[bytes, bytes, int]:
        timeout = self.limits.timeout
        deadline = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
                start_new_session=True,  # its own process group: a timeout ends its children too
            )
        except FileNotFoundError:
            raise GitError("git is not installed on the server") from None
        with process:
            try:
                with selectors.DefaultSelector() as selector:
                    assert process.stdout is not None and process.stderr is not None
                    selector.register(process.stdout, selectors.EVENT_READ, out)
                    selector.register(process.stderr, selectors.EVENT_READ, err)
                    while selector.get_map():
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise subprocess.TimeoutExpired(argv, timeout)
                        for key, _ in selector.select(remaining):
                            chunk = os.read(key.fd, 65536)
                            if not chunk:
                                selector.unregister(key.fileobj)
                                continue
                            if key.data is err:
                                err.extend(chunk[: max(0, _MAX_STDERR - len(err))])
                            else:
                                out.extend(chunk)
                                if len(out) > limit:
                                    raise GitError(
                                        f"git said more than {limit} bytes in repository "
                                        f"{self.name!r}; stopped"
                                    )
                code = process.wait(max(deadline - time.monotonic(), 0.001))
            except subprocess.TimeoutExpired:
                self._stop(process)
                raise GitError(
                    f"git timed out after {timeout:g} s in repository {self.name!r}"
                ) from None
            except BaseException:
                self._stop(process)
                raise
        return bytes(out), bytes(err), code

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    # --- What the tools ask ---------------------------------------------------------------

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository without commits."""
        out, code = self.run_bytes("rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok=(0, 1))
        return out.decode().strip() if code == 0 else None

    def branch(self) -> str | None:
        """The current branch, or None on a detached HEAD."""
        out, code = self.run_bytes("symbolic-ref", "--quiet", "--short", "HEAD", ok=(0, 1))
        return out.decode("utf-8", errors="replace").strip() if code == 0 else None

    def commit(self, ref: str) -> str:
        """The commit id ``ref`` names; ``GitError`` for anything option-like or unknown."""
        check_ref(ref)
        out, code = self.run_bytes(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", ok=(0, 1)
        )
        if code != 0:
            raise GitError(f"unknown ref {ref!r} in repository {self.name!r}")
        return out.decode().strip()

    def tags(self, merged_into: str | None = None) -> list[tuple[str, str]]:
        """(name, commit id) of each tag that points at a commit (``merged_into``: reachable from
        that commit)."""
        args = ["for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)"]
        args[-1] += "%00%(*objecttype)%00%(*objectname)"
        if merged_into is not None:
            args.append(f"--merged={merged_into}")
        found = []
        for line in self.run(*args, "refs/tags").splitlines():
            name, kind, sha, peeled_kind, peeled = line.split("\0")
            if kind == "commit":
                found.append((name, sha))
            elif peeled_kind == "commit":
                found.append((name, peeled))
        return found

    def count(self, revisions: Sequence[str]) -> int:
        return int(self.run("rev-list", "--count", "--no-merges", "--end-of-options", *revisions))

    def log(self, revisions: Sequence[str], max_count: int) -> list[tuple[str, str, str, str]]:
        """(sha, author, email, message) of up to ``max_count`` non-merge commits, newest first.

        ``revisions`` are commit ids (``abc..def`` or ``^abc def``), never text from the model.
        """
        text = self.run(
            "log",
            "--no-merges",
            "--no-mailmap",
            f"--max-count={max_count}",
            "-z",
            "--format=%H%x00%an%x00%ae%x00%B",
            "--end-of-options",
            *revisions,
            "--",
        )
        fields = text.split("\0")
        return [
            (fields[i], fields[i + 1], fields[i + 2], fields[i + 3])
            for i in range(0, len(fields) - 3, 4)
        ]

    def status(self) -> list[str] | None:
        """Uncommitted changes as ``<status> <path>`` (``M a.py``, ``?? new.txt``); None for a bare
        repository."""
        if self.bare:
            return None
        text = self.run(
            "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=normal"
        )
        return [f"{entry[:2].strip()} {entry[3:]}" for entry in text.split("\0") if entry]

    def tree(self, commit: str) -> dict[str, TreeEntry]:
        """Every file of ``commit``'s tree by path."""
        text = self.run("ls-tree", "-r", "-z", "--full-tree", commit, limit=MAX_TREE_OUTPUT)
        entries = {}
        for record in text.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, sha = meta.split()
            entries[path] = TreeEntry(mode, kind, sha)
        return entries

    def read(self, tree: dict[str, TreeEntry], path: str) -> str | None:
        """The text of ``path`` in ``tree`` (None if absent). A symlink is followed only to a file
        in the same tree; one that leads out of the repository is refused."""
        entry = tree.get(path)
        if entry is None:
            return None
        if entry.mode == _SYMLINK:
            target = self._blob(entry.sha).decode("utf-8", errors="replace")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise GitError(f"{path} is a symlink out of the repository; not read")
            followed = tree.get(resolved)
            if followed is None or followed.mode == _SYMLINK or followed.kind != "blob":
                raise GitError(f"{path} is a symlink to {resolved}, which is not a file here")
            entry = followed
        if entry.kind != "blob":
            return None
        return self._blob(entry.sha).decode("utf-8", errors="replace")

    def _blob(self, sha: str) -> bytes:
        return self.run_bytes("cat-file", "blob", sha, limit=MAX_FILE)[0]


def check_ref(ref: object) -> str:
    """``ref`` if it may be passed to git as a revision; ``GitError`` saying why not."""
    if not isinstance(ref, str) or not ref:
        raise GitError("a ref must be a tag, branch or commit, e.g. v1.2.0")
    if ref.startswith("-"):
        raise GitError(f"refused ref {ref!r}: it looks like a command-line option")
    if len(ref) > _MAX_REF or any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in ref):
        raise GitError(f"refused ref {ref!r}: a ref has no spaces or control characters")
    return ref


def open_repository(repos: Sequence[Repository], name: object, limits: Limits) -> GitRepository:
    """The configured repository ``name``; ``GitError`` for any other name or a path that is
    not (or no longer) a git repository."""
    by_name = {repo.name: repo for repo in repos}
    if not isinstance(name, str) or name not in by_name:
        available = ", ".join(by_name) or "none (set AGENTLLM_REPOS)"
        raise GitError(f"unknown repository {name!r}; available: {available}")
    configured = by_name[name].path
    if not configured.is_dir():
        raise GitError(f"repository {name!r}: {configured} does not exist or is not a folder")
    try:
        return GitRepository(name, configured.resolve(), limits)
    except GitFailed:
        raise GitError(f"repository {name!r}: {configured} is not a git repository") from None

"""Release rules over plain data: Conventional Commits and the next Semantic Version (a Keep a
Changelog section: ``changelog.py``; what a repository's files declare: ``project_files.py``).
No git here (``git.py`` reads the repository; ``release_history.py`` and
``release_checklist.py`` join them).

Versions are SemVer (the ``semver`` package): tags are ``vX.Y.Z`` or ``X.Y.Z`` with SemVer
pre-releases (``v1.3.0-rc.1``). Commit messages are read with a small parser written to the
Conventional Commits 1.0.0 spec; why not a library: docs/release-tools.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from semver import Version

# <type>[(scope)][!]: <description>  (the type is case-insensitive, spec item 15)
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]+)\))?(?P<bang>!)?: (?P<text>\S.*)$"
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: ?(?P<text>.*)$")
_FOOTER = re.compile(r"^(?:[A-Za-z][\w-]*: |[A-Za-z][\w-]* #|BREAKING CHANGE: )")
_CO_AUTHOR = re.compile(r"^Co-authored-by:\s*(?P<name>.+?)\s*<(?P<email>[^>]+)>\s*$", re.I | re.M)
_PRE_LABEL = re.compile(r"^[A-Za-z][0-9A-Za-z-]{0,31}$")

OTHER = "other (not Conventional Commits)"
# The order commit types are listed in; unknown types follow, sorted.
TYPE_ORDER = ("feat", "fix", "perf", "revert", "refactor", "docs", "test", "build", "ci", "style")


class Bump(IntEnum):
    """What a change calls for, by SemVer."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


@dataclass(frozen=True)
class Commit:
    """A commit as Conventional Commits sees it; ``type`` is None for any other message."""

    sha: str
    author: str
    email: str
    subject: str
    type: str | None
    scope: str | None
    description: str
    # What breaks (the BREAKING CHANGE footer, else the description of a ``!`` commit), or None.
    breaking: str | None
    co_authors: tuple[tuple[str, str], ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def bump(self) -> Bump:
        if self.breaking is not None:
            return Bump.MAJOR
        if self.type == "feat":
            return Bump.MINOR
        if self.type in (None, "fix", "perf", "revert"):
            return Bump.PATCH  # a message without a type may be anything: at least a fix
        return Bump.NONE


def _breaking_footer(body_lines: list[str]) -> str | None:
    for number, line in enumerate(body_lines):
        match = _BREAKING_FOOTER.match(line)
        if match is None:
            continue
        text = [match["text"].strip()]
        for following in body_lines[number + 1 :]:
            if not following.strip() or _FOOTER.match(following):
                break
            text.append(following.strip())
        return " ".join(t for t in text if t) or "breaking change"
    return None


def parse_commit(sha: str, author: str, email: str, message: str) -> Commit:
    """Read one commit message by the Conventional Commits 1.0.0 spec."""
    lines = message.strip().splitlines() or [""]
    subject = lines[0].strip()
    footer = _breaking_footer(lines[1:])
    co_authors = tuple((m["name"], m["email"]) for m in _CO_AUTHOR.finditer(message))
    header = _HEADER.match(subject)
    if header is None:
        return Commit(sha, author, email, subject, None, None, subject, footer, co_authors)
    description = header["text"].strip()
    breaking = footer if footer is not None else (description if header["bang"] else None)
    return Commit(
        sha,
        author,
        email,
        subject,
        header["type"].lower(),
        header["scope"].strip() if header["scope"] else None,
        description,
        breaking,
        co_authors,
    )


def _line(commit: Commit) -> str:
    if commit.type is None:
        return f"{commit.short} {commit.subject}"
    scope = f"{commit.scope}: " if commit.scope else ""
    flag = " [BREAKING]" if commit.breaking is not None else ""
    return f"{commit.short} {scope}{commit.description}{flag}"


def _type_order(kind: str) -> tuple[int, str]:
    if kind == OTHER:
        return (len(TYPE_ORDER) + 2, kind)
    if kind in TYPE_ORDER:
        return (TYPE_ORDER.index(kind), kind)
    return (len(TYPE_ORDER) + 1, kind)


def grouped(commits: Iterable[Commit]) -> dict[str, list[str]]:
    """One line per commit (short sha, scope, description), grouped by Conventional Commit type."""
    groups: dict[str, list[str]] = {}
    for commit in commits:
        groups.setdefault(commit.type or OTHER, []).append(_line(commit))
    return {kind: groups[kind] for kind in sorted(groups, key=_type_order)}


def breaking_changes(commits: Iterable[Commit]) -> list[str]:
    """Each breaking commit: short sha, subject, and what breaks when the footer says more."""
    found = []
    for commit in commits:
        if commit.breaking is None:
            continue
        note = f" — {commit.breaking}" if commit.breaking != commit.description else ""
        found.append(f"{commit.short} {commit.subject}{note}")
    return found


def contributors(commits: Iterable[Commit]) -> list[str]:
    """Authors and co-authors as ``Name (commits)``, most commits first; one entry per email."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for commit in commits:
        people = {commit.email.lower(): commit.author}
        for name, email in commit.co_authors:
            people.setdefault(email.lower(), name)
        for email, name in people.items():
            names.setdefault(email, name)
            counts[email] += 1
    ranked = sorted(counts, key=lambda email: (-counts[email], names[email].lower()))
    return [f"{names[email]} ({counts[email]})" for email in ranked]


# --- Tags and the next version --------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    """A release tag: its name, the commit it points at, its SemVer version."""

    name: str
    commit: str
    version: Version

    @property
    def prefix(self) -> str:
        return self.name[: len(self.name) - len(str(self.version))]


def tag(name: str, commit: str) -> Tag | None:
    """``name`` as a release tag (``v1.2.0``, ``1.2.0``, ``v1.3.0-rc.1``), or None."""
    text = name[1:] if name[:1] in ("v", "V") else name
    try:
        return Tag(name, commit, Version.parse(text))
    except ValueError:
        return None


def latest(tags: Iterable[Tag], stable: bool = False) -> Tag | None:
    """The highest version by SemVer precedence (``stable``: not a pre-release), or None."""
    candidates = [t for t in tags if not (stable and t.version.prerelease)]
    return max(candidates, key=lambda t: t.version, default=None)


@dataclass(frozen=True)
class Decision:
    """The next version, and the rule that decided it."""

    version: str | None
    tag: str | None
    bump: str  # major, minor, patch, none, or initial (the first release)
    rule: str
    current: str | None  # the latest tag
    since: str | None  # the latest stable release tag: the commits counted start there


def _final(version: Version) -> Version:
    return version.replace(prerelease=None, build=None)


def _pre_parts(version: Version) -> tuple[str, int]:
    parts = str(version.prerelease).split(".")
    number = int(parts[-1]) if len(parts) > 1 and parts[-1].isdigit() else 0
    return parts[0], number


def _reason(level: Bump, commits: Sequence[Commit], since: str) -> str:
    if level is Bump.MAJOR:
        first = next(c for c in commits if c.breaking is not None)
        count = sum(c.breaking is not None for c in commits)
        more = f" and {count - 1} more" if count > 1 else ""
        return f"breaking change in {first.short} ({first.subject}){more} since {since}"
    if level is Bump.MINOR:
        count = sum(c.type == "feat" for c in commits)
        return f"{count} feat commit{'s' * (count != 1)} since {since}"
    fixes = [c for c in commits if c.type in ("fix", "perf", "revert")]
    if fixes:
        kinds = "/".join(dict.fromkeys(c.type or "" for c in fixes))
        return f"{len(fixes)} {kinds} commit{'s' * (len(fixes) != 1)} since {since}"
    count = sum(c.type is None for c in commits)
    return (
        f"{count} commit{'s' * (count != 1)} since {since} "
        f"{'are' if count != 1 else 'is'} not Conventional Commits, taken as "
        f"{'fixes' if count != 1 else 'a fix'} "
        "(read them: a feature would make it MINOR, a breaking change MAJOR)"
    )


def next_version(
    reachable: Sequence[Tag],
    commits: Sequence[Commit],
    pre: str | None = None,
    all_tags: Sequence[Tag] | None = None,
) -> Decision:
    """The next version after the tags reachable from HEAD, given the commits since the latest
    stable one; ``pre`` (``alpha``, ``beta``, ``rc``) asks for a pre-release of it.

    ``all_tags`` (default: ``reachable``) keeps pre-release numbers from repeating tags made on
    other branches. ``ValueError`` for a bad ``pre`` or one that would sort before a tagged one.
    """
    if pre is not None and not _PRE_LABEL.match(pre):
        raise ValueError(
            "pre must be a pre-release label: one word of letters, digits or '-', starting with "
            f"a letter, such as alpha, beta or rc (the number is added); got {pre!r}"
        )
    everywhere = list(all_tags) if all_tags is not None else list(reachable)
    stable, newest = latest(reachable, stable=True), latest(reachable)
    prefix = newest.prefix if newest else "v"
    current = newest.name if newest else None
    since = stable.name if stable else None

    if stable is None:
        target = Version(0, 1, 0)
        bump = "initial"
        rule = (
            "no release tag yet (vX.Y.Z): the first release is 0.1.0, where SemVer's FAQ starts "
            "initial development"
        )
    else:
        level = max((c.bump for c in commits), default=Bump.NONE)
        if level is Bump.NONE:
            if commits:
                kinds = ", ".join(dict.fromkeys(c.type or OTHER for c in commits))
                rule = (
                    f"only {kinds} commits since {stable.name}: none calls for a release "
                    f"(a patch release would be {stable.version.bump_patch()})"
                )
            else:
                rule = f"nothing committed since {stable.name}: nothing to release"
            return Decision(None, None, "none", rule, current, since)
        reason = _reason(level, commits, stable.name)
        effective = level
        if level is Bump.MAJOR and stable.version.major == 0:
            effective = Bump.MINOR
            reason += (
                ", while the major version is 0 (major version zero, SemVer item 4: breaking "
                "changes bump MINOR until 1.0.0 is released on purpose)"
            )
        base = stable.version
        target = {
            Bump.MAJOR: base.bump_major,
            Bump.MINOR: base.bump_minor,
            Bump.PATCH: base.bump_patch,
        }[effective]()
        bump = effective.name.lower()
        rule = f"{reason}: {bump.upper()} bump {base} → {target}"

    if newest is not None and newest.version.prerelease and _final(newest.version) > target:
        target = _final(newest.version)
        rule += f"; {newest.name} is already tagged, so the release it leads to is {target}"

    pres = [t for t in everywhere if t.version.prerelease and _final(t.version) == target]
    if pre is not None:
        same_label = [t for t in pres if _pre_parts(t.version)[0] == pre]
        number = max((_pre_parts(t.version)[1] for t in same_label), default=0) + 1
        version = target.replace(prerelease=f"{pre}.{number}")
        later = [t for t in pres if t.version >= version]
        if later:
            highest = max(later, key=lambda t: t.version)
            raise ValueError(
                f"{version} would sort before the tagged {highest.name}: use the label "
                f"{_pre_parts(highest.version)[0]!r} or one that sorts after it"
            )
        rule += f"; pre-release {pre}: {version}"
        if same_label:
            rule += f" (after {max(same_label, key=lambda t: t.version).name})"
    else:
        version = target
        if pres:
            rule += f"; promotes {max(pres, key=lambda t: t.version).name} to the release"
    if any(t.version == version for t in everywhere):
        rule += f"; note: {prefix}{version} is already tagged on a commit HEAD does not contain"
    return Decision(str(version), f"{prefix}{version}", bump, rule, current, since)

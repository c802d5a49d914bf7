"""A Keep a Changelog section and plain-language release notes from Conventional Commits.
Pure functions over the commits ``releases`` parses."""

from __future__ import annotations

from collections.abc import Sequence

from agentllm.tools.releases import OTHER, Commit, contributors

SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_REMOVING = {"remove", "removes", "removed", "drop", "drops", "dropped", "delete", "deletes"}

_UNCLASSIFIED = "unclassified"


def _section(commit: Commit) -> str | None:
    """The Keep a Changelog section of a commit; None: no user-visible change."""
    if commit.type is None and commit.breaking is None:
        return _UNCLASSIFIED
    if commit.breaking is None and commit.type not in ("feat", "fix", "perf", "revert", "security"):
        return None
    words = commit.description.lower().split()
    first = words[0] if words else ""
    if commit.type == "security" or (commit.scope or "").lower() == "security":
        return "Security"
    if first in _REMOVING:
        return "Removed"
    if first.startswith("deprecat"):
        return "Deprecated"
    if commit.breaking is not None:
        return "Changed"
    return {"feat": "Added", "fix": "Fixed"}.get(commit.type or "", "Changed")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _entry(commit: Commit) -> str:
    text = _sentence(commit.description)
    if commit.breaking is not None:
        text = f"**Breaking:** {text}"
        if commit.breaking != commit.description:
            text += f": {commit.breaking}"
    if commit.scope:
        text += f" ({commit.scope})"
    return text


def changelog_section(commits: Sequence[Commit]) -> str:
    """A Keep a Changelog ``[Unreleased]`` section: user-visible changes by section; commits
    without a type listed apart to be placed by hand; the rest counted as left out."""
    sections: dict[str, list[str]] = {name: [] for name in SECTIONS}
    unclassified: list[str] = []
    left_out: list[str] = []
    for commit in commits:
        section = _section(commit)
        if section == _UNCLASSIFIED:
            unclassified.append(_sentence(commit.subject))
        elif section is None:
            left_out.append(commit.type or OTHER)
        else:
            sections[section].append(_entry(commit))
    parts = ["## [Unreleased]\n"]
    parts += [
        f"### {name}\n" + "".join(f"- {entry}\n" for entry in entries)
        for name, entries in sections.items()
        if entries
    ]
    if unclassified:
        parts.append(
            "Not Conventional Commits, to place by hand:\n"
            + "".join(f"- {entry}\n" for entry in unclassified)
        )
    if left_out:
        kinds = ", ".join(dict.fromkeys(left_out))
        count = len(left_out)
        parts.append(
            f"Left out (no user-visible change): {count} commit{'s' * (count != 1)} ({kinds})\n"
        )
    if len(parts) == 1:
        parts.append("No changes since the last release.\n")
    return "\n".join(parts)


def release_notes(commits: Sequence[Commit], version: str | None) -> str:
    """Release notes in plain language: what breaks first, then what is new, better, fixed."""
    said: dict[str, list[str]] = {}
    for commit in commits:
        section = _section(commit)
        if commit.breaking is not None:
            note = f" ({commit.breaking})" if commit.breaking != commit.description else ""
            said.setdefault("Breaking", []).append(commit.description + note)
        elif section == _UNCLASSIFIED:
            said.setdefault("Also", []).append(commit.subject)
        elif section is not None:
            said.setdefault(section, []).append(commit.description)
    headings = [
        ("Breaking", "Breaking changes, read before upgrading"),
        ("Added", "New"),
        ("Changed", "Improved"),
        ("Deprecated", "Deprecated"),
        ("Removed", "Removed"),
        ("Fixed", "Fixed"),
        ("Security", "Security"),
        ("Also", "Also"),
    ]
    count = sum(len(items) for items in said.values())
    opening = f"Version {version}" if version else "These changes"
    verb = "brings" if version else "bring"
    if not count:
        return f"{opening}: no user-visible changes."
    lines = [f"{opening} {verb} {count} change{'s' * (count != 1)}."]
    lines += [f"{label}: {'; '.join(said[key])}." for key, label in headings if key in said]
    names = [person.rsplit(" (", 1)[0] for person in contributors(commits)]
    if names:
        lines.append(f"Thanks to {', '.join(names)}.")
    return "\n".join(lines)

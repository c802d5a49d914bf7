"""What a repository's own files declare, for the release checklist: version strings
(``pyproject.toml``, ``package.json``, ``__version__``), the ``Unreleased`` section of a changelog,
tests and CI configuration. Pure functions over paths and file texts."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import PurePosixPath

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version
from semver import Version

_DUNDER_VERSION = re.compile(
    r"^__version__\s*(?::\s*[\w.\[\]]+\s*)?=\s*(?P<q>['\"])(?P<version>[^'\"]+)(?P=q)", re.M
)
_UNRELEASED = re.compile(r"^(?P<level>#{2,3})\s*\[?unreleased\]?", re.I)
DYNAMIC = "dynamic"


def declared_version(path: str, text: str) -> str | None:
    """The version ``path`` declares (``DYNAMIC`` when pyproject.toml leaves it to the build)."""
    name = PurePosixPath(path).name
    if name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        project = data.get("project", {})
        if isinstance(project.get("version"), str):
            return str(project["version"])
        if "version" in project.get("dynamic", []):
            return DYNAMIC
        poetry = data.get("tool", {}).get("poetry", {})
        return str(poetry["version"]) if isinstance(poetry.get("version"), str) else None
    if name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return None
        version = data.get("version") if isinstance(data, dict) else None
        return version if isinstance(version, str) else None
    if name.endswith(".py"):
        match = _DUNDER_VERSION.search(text)
        return match["version"] if match else None
    return None


def same_version(declared: str, tagged: str) -> bool:
    """Whether two version strings name one version: SemVer, else PEP 440 (``1.3.0rc1`` is
    ``1.3.0-rc.1``); build metadata does not count."""
    declared, tagged = (v[1:] if v[:1] in ("v", "V") else v for v in (declared, tagged))
    try:
        return Version.parse(declared) == Version.parse(tagged)
    except ValueError:
        pass
    try:
        return Pep440Version(declared) == Pep440Version(tagged)
    except InvalidVersion:
        return False


def unreleased_entries(changelog: str) -> int | None:
    """How many entries a changelog's Unreleased section lists; None without such a section."""
    lines = changelog.splitlines()
    for number, line in enumerate(lines):
        heading = _UNRELEASED.match(line)
        if heading is None:
            continue
        level = len(heading["level"])
        entries = 0
        for following in lines[number + 1 :]:
            hashes = len(following) - len(following.lstrip("#"))
            if 0 < hashes <= level and following[hashes : hashes + 1] == " ":
                break
            entries += following.lstrip().startswith(("- ", "* "))
        return entries
    return None


_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs"}
_TEST_FILES = (
    "test_*.py",
    "*_test.py",
    "*_test.go",
    "*.test.[jt]s",
    "*.test.[jt]sx",
    "*.spec.[jt]s",
    "*.spec.[jt]sx",
    "*Test.java",
    "*Tests.cs",
    "*_spec.rb",
)
_CI_FILES = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    ".circleci/config.yml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".travis.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker/*.yml",
    ".forgejo/workflows/*.yml",
    ".gitea/workflows/*.yml",
    ".buildkite/pipeline.yml",
)


def tests_in(paths: Iterable[str]) -> list[str]:
    """The paths that are tests: in a test folder, or named like a test."""
    found = []
    for path in paths:
        pure = PurePosixPath(path)
        if _TEST_DIRS & set(pure.parts[:-1]) or any(fnmatch(pure.name, p) for p in _TEST_FILES):
            found.append(path)
    return sorted(found)


def ci_configs_in(paths: Iterable[str]) -> list[str]:
    """The paths that configure a CI service."""
    return sorted(p for p in paths if any(_full_match(p, pattern) for pattern in _CI_FILES))


def _full_match(path: str, pattern: str) -> bool:
    parts, wanted = path.split("/"), pattern.split("/")
    if len(parts) != len(wanted):
        return False
    return all(fnmatch(part, want) for part, want in zip(parts, wanted, strict=True))

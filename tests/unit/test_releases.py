"""Release rules as pure functions: Conventional Commits, the next version, the changelog, and
what a repository's own files say. Tables of plain data, no git."""

from __future__ import annotations

from typing import Any

import pytest

from agentllm.tools import changelog, project_files, releases
from agentllm.tools.releases import Bump, Tag, parse_commit


def commit(message: str, author: str = "Ada", email: str = "ada@example.org", sha: str = "") -> Any:
    return parse_commit(sha or "f" * 40, author, email, message)


def tags(*names: str) -> list[Tag]:
    found = [releases.tag(name, f"{i:040x}") for i, name in enumerate(names)]
    return [t for t in found if t is not None]


# --- Conventional Commits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "scope", "description", "breaking"),
    [
        ("feat: add export", "feat", None, "add export", None),
        ("feat(api): add /v2", "feat", "api", "add /v2", None),
        ("feat(api)!: drop /v1", "feat", "api", "drop /v1", "drop /v1"),
        ("refactor!: rename settings", "refactor", None, "rename settings", "rename settings"),
        (
            "fix: read the new key\n\nBREAKING CHANGE: `timeout` is now `timeout_s`\nin config",
            "fix",
            None,
            "read the new key",
            "`timeout` is now `timeout_s` in config",
        ),
        ("fix: x\n\nBREAKING-CHANGE: gone", "fix", None, "x", "gone"),
        ("fix: x\n\nbreaking change: not the token", "fix", None, "x", None),
        ("fix: x\n\nWe mention BREAKING CHANGE: mid-line", "fix", None, "x", None),
        ("Feat: upper-case type", "feat", None, "upper-case type", None),
        ("docs(readme): typo", "docs", "readme", "typo", None),
        ("revert: feat: add export", "revert", None, "feat: add export", None),
        ("Update README", None, None, "Update README", None),
        ("feat:no space", None, None, "feat:no space", None),
        ("fixup! feat: add export", None, None, "fixup! feat: add export", None),
        ("WIP", None, None, "WIP", None),
    ],
)
def test_commit_messages_are_read_by_the_conventional_commits_spec(
    message, kind, scope, description, breaking
):
    parsed = commit(message)
    assert (parsed.type, parsed.scope, parsed.description, parsed.breaking) == (
        kind,
        scope,
        description,
        breaking,
    )


@pytest.mark.parametrize(
    ("message", "bump"),
    [
        ("feat: a", Bump.MINOR),
        ("fix: a", Bump.PATCH),
        ("perf: a", Bump.PATCH),
        ("revert: a", Bump.PATCH),
        ("docs: a", Bump.NONE),
        ("chore(deps): a", Bump.NONE),
        ("chore!: drop Python 3.10", Bump.MAJOR),
        ("fix: a\n\nBREAKING CHANGE: b", Bump.MAJOR),
        ("Something without a type", Bump.PATCH),
    ],
)
def test_what_each_commit_calls_for(message, bump):
    assert commit(message).bump == bump


def test_co_authors_count_as_contributors():
    history = [
        commit("feat: a", "Ada", "ada@example.org"),
        commit("fix: b\n\nCo-authored-by: Grace <grace@example.org>", "Ada", "ada@example.org"),
        commit("fix: c", "Linus", "linus@example.org"),
    ]
    assert releases.contributors(history) == ["Ada (2)", "Grace (1)", "Linus (1)"]


def test_commits_are_grouped_by_type_with_breaking_changes_flagged():
    history = [
        commit("feat(api)!: drop /v1", sha="a" * 40),
        commit("fix: crash on empty input", sha="b" * 40),
        commit("feat: CSV export", sha="c" * 40),
        commit("Update README", sha="d" * 40),
        commit("docs: usage", sha="e" * 40),
    ]
    assert releases.grouped(history) == {
        "feat": ["aaaaaaa api: drop /v1 [BREAKING]", "ccccccc CSV export"],
        "fix": ["bbbbbbb crash on empty input"],
        "docs": ["eeeeeee usage"],
        "other (not Conventional Commits)": ["ddddddd Update README"],
    }
    assert releases.breaking_changes(history) == ["aaaaaaa feat(api)!: drop /v1"]


# --- Tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("v1.2.0", "1.2.0"),
        ("1.2.0", "1.2.0"),
        ("v1.3.0-rc.1", "1.3.0-rc.1"),
        ("v2.0.0-alpha.1+build.5", "2.0.0-alpha.1+build.5"),
        ("v1.2", None),
        ("release-1.2.0", None),
        ("latest", None),
        ("v1.2.0rc1", None),  # PEP 440 spelling, not SemVer
    ],
)
def test_release_tags_are_semver_with_an_optional_v(name, version):
    found = releases.tag(name, "0" * 40)
    assert (str(found.version) if found else None) == version


def test_the_latest_tag_is_the_highest_version_not_the_newest_name():
    found = tags("v1.10.0", "v1.9.0", "v1.10.1-rc.1", "nightly")
    assert releases.latest(found).name == "v1.10.1-rc.1"
    assert releases.latest(found, stable=True).name == "v1.10.0"
    assert releases.latest([]) is None


# --- The next version -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "messages", "pre", "version", "bump", "rule_says"),
    [
        (["v1.2.0"], ["fix: a"], None, "1.2.1", "patch", "fix"),
        (["v1.2.0"], ["fix: a", "feat: b", "docs: c"], None, "1.3.0", "minor", "feat"),
        (["v1.2.0"], ["feat: b", "fix!: c"], None, "2.0.0", "major", "breaking"),
        (["v0.3.1"], ["feat!: b"], None, "0.4.0", "minor", "major version zero"),
        (["v0.3.1"], ["feat: b"], None, "0.4.0", "minor", "feat"),
        (["v0.3.1"], ["fix: b"], None, "0.3.2", "patch", "fix"),
        ([], ["feat: first", "fix: second"], None, "0.1.0", "initial", "no release tag"),
        ([], ["feat: first"], "rc", "0.1.0-rc.1", "initial", "no release tag"),
        (["v1.2.0"], ["Update things"], None, "1.2.1", "patch", "not Conventional Commits"),
        (["v1.2.0"], ["feat: b"], "rc", "1.3.0-rc.1", "minor", "pre-release rc"),
        (["v1.2.0", "v1.3.0-rc.1"], ["feat: b"], "rc", "1.3.0-rc.2", "minor", "v1.3.0-rc.1"),
        (["v1.2.0", "v1.3.0-rc.2"], ["feat: b"], None, "1.3.0", "minor", "promotes v1.3.0-rc.2"),
        (["v1.2.0", "v1.3.0-beta.2"], ["feat: b"], "rc", "1.3.0-rc.1", "minor", "rc"),
        (["v1.2.0", "v1.3.0-rc.1"], ["feat: b", "fix!: c"], None, "2.0.0", "major", "breaking"),
        (["1.2.0"], ["fix: a"], None, "1.2.1", "patch", "fix"),
    ],
)
def test_the_next_version_follows_semver_and_says_which_rule_decided(
    existing, messages, pre, version, bump, rule_says
):
    decision = releases.next_version(tags(*existing), [commit(m) for m in messages], pre=pre)
    assert (decision.version, decision.bump) == (version, bump)
    assert rule_says in decision.rule


def test_the_next_tag_keeps_the_projects_tag_prefix():
    assert releases.next_version(tags("v1.2.0"), [commit("fix: a")]).tag == "v1.2.1"
    assert releases.next_version(tags("1.2.0"), [commit("fix: a")]).tag == "1.2.1"
    assert releases.next_version([], [commit("fix: a")]).tag == "v0.1.0"


def test_commits_that_call_for_no_release_give_no_version():
    decision = releases.next_version(tags("v1.2.0"), [commit("docs: a"), commit("chore: b")])
    assert decision.version is None and decision.bump == "none"
    assert "docs, chore" in decision.rule and "1.2.1" in decision.rule

    nothing = releases.next_version(tags("v1.2.0"), [])
    assert nothing.version is None and "nothing committed since v1.2.0" in nothing.rule


def test_pre_release_numbers_continue_after_tags_on_other_branches():
    reachable = tags("v1.2.0", "v1.3.0-rc.1")
    everywhere = tags("v1.2.0", "v1.3.0-rc.1", "v1.3.0-rc.3")
    decision = releases.next_version(reachable, [commit("feat: a")], "rc", all_tags=everywhere)
    assert decision.version == "1.3.0-rc.4"


def test_a_pre_release_label_that_would_sort_before_a_tagged_one_is_refused():
    with pytest.raises(ValueError, match=r"1\.3\.0-beta\.1 would sort before .*v1\.3\.0-rc\.1"):
        releases.next_version(tags("v1.2.0", "v1.3.0-rc.1"), [commit("feat: a")], "beta")


@pytest.mark.parametrize("pre", ["--upload-pack=x", "-rc", "rc 1", "rc.1", "", "ü"])
def test_a_pre_release_label_must_be_one_word(pre):
    with pytest.raises(ValueError, match="pre-release label"):
        releases.next_version(tags("v1.2.0"), [commit("feat: a")], pre)


# --- The changelog --------------------------------------------------------------------------

HISTORY = [
    "feat(api)!: remove the /v1 endpoints\n\nBREAKING CHANGE: clients must call /v2",
    "feat: export reports as CSV",
    "feat: deprecate the XML export",
    "fix: no crash on an empty report",
    "fix(security): escape report titles",
    "perf: faster report rendering",
    "docs: describe the export",
    "chore: bump dev tools",
    "Tidy up",
]


def test_the_changelog_section_follows_keep_a_changelog():
    section = changelog.changelog_section([commit(m) for m in HISTORY])
    assert section == (
        "## [Unreleased]\n"
        "\n"
        "### Added\n"
        "- Export reports as CSV\n"
        "\n"
        "### Changed\n"
        "- Faster report rendering\n"
        "\n"
        "### Deprecated\n"
        "- Deprecate the XML export\n"
        "\n"
        "### Removed\n"
        "- **Breaking:** Remove the /v1 endpoints: clients must call /v2 (api)\n"
        "\n"
        "### Fixed\n"
        "- No crash on an empty report\n"
        "\n"
        "### Security\n"
        "- Escape report titles (security)\n"
        "\n"
        "Not Conventional Commits, to place by hand:\n"
        "- Tidy up\n"
        "\n"
        "Left out (no user-visible change): 2 commits (docs, chore)\n"
    )


def test_release_notes_are_plain_language():
    notes = changelog.release_notes([commit(m) for m in HISTORY], version="2.0.0")
    assert notes.startswith("Version 2.0.0 ")
    assert "Breaking changes, read before upgrading: remove the /v1 endpoints" in notes
    assert "clients must call /v2" in notes
    assert "New: export reports as CSV" in notes
    assert "Fixed: no crash on an empty report." in notes
    assert "Security: escape report titles." in notes
    assert "feat" not in notes and "(api)" not in notes


def test_an_empty_history_has_an_empty_unreleased_section():
    assert (
        changelog.changelog_section([]) == "## [Unreleased]\n\nNo changes since the last release.\n"
    )


# --- What the repository's files say --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "version"),
    [
        ("pyproject.toml", '[project]\nname = "x"\nversion = "1.2.0"\n', "1.2.0"),
        ("pyproject.toml", '[tool.poetry]\nversion = "0.4.1"\n', "0.4.1"),
        ("pyproject.toml", '[project]\ndynamic = ["version"]\n', project_files.DYNAMIC),
        ("pyproject.toml", "[project\n", None),
        ("pyproject.toml", '[project]\nname = "x"\n', None),
        ("package.json", '{"name": "x", "version": "1.3.0-rc.1"}', "1.3.0-rc.1"),
        ("package.json", "{not json", None),
        ("src/pkg/__init__.py", '"""Doc."""\n__version__ = "1.2.0"\n', "1.2.0"),
        ("pkg/_version.py", "__version__: str = '2.0.0'\n", "2.0.0"),
        ("pkg/__init__.py", "from ._version import __version__\n", None),
    ],
)
def test_declared_versions_are_read_with_the_files_own_format(path, text, version):
    assert project_files.declared_version(path, text) == version


@pytest.mark.parametrize(
    ("declared", "tagged", "same"),
    [
        ("1.2.0", "1.2.0", True),
        ("1.2.0", "1.2.1", False),
        ("1.3.0rc1", "1.3.0-rc.1", True),  # PEP 440 and SemVer spellings of one version
        ("1.3.0-rc.1", "1.3.0-rc.1", True),
        ("1.3.0", "1.3.0-rc.1", False),
        ("not-a-version", "1.2.0", False),
    ],
)
def test_versions_compare_across_pep440_and_semver_spellings(declared, tagged, same):
    assert project_files.same_version(declared, tagged) is same


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("# Changelog\n\n## [Unreleased]\n### Added\n- CSV\n\n## [1.2.0] - 2024-01-01\n- x\n", 1),
        ("# Changelog\n\n## Unreleased\n\n## 1.2.0\n- x\n", 0),
        ("# Changelog\n\n## [1.2.0] - 2024-01-01\n- x\n", None),
    ],
)
def test_the_unreleased_section_of_a_changelog(text, entries):
    assert project_files.unreleased_entries(text) == entries


def test_tests_and_ci_are_recognised_by_their_paths():
    paths = [
        "src/app.py",
        "tests/test_app.py",
        "tests/conftest.py",
        "web/button.test.tsx",
        "pkg/server_test.go",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "docs/testing.md",
    ]
    assert project_files.tests_in(paths) == [
        "pkg/server_test.go",
        "tests/conftest.py",
        "tests/test_app.py",
        "web/button.test.tsx",
    ]
    assert project_files.ci_configs_in(paths) == [".github/workflows/ci.yml", ".gitlab-ci.yml"]

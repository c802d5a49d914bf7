"""The read-only git release toolkit against real repositories built in temporary folders (real
git processes, so not in the unit suite)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentllm.config import Repository
from agentllm.tools.release_tools import ReleaseTools
from tests.support.gitrepo import GRACE, GitRepo

pytestmark = pytest.mark.integration

TOOLS = ("release_status", "commits_since", "next_version", "changelog", "release_checklist")


def answer(text: str) -> dict:
    return json.loads(text)


@pytest.fixture
def demo(tmp_path) -> GitRepo:
    """v1.1.0, v1.2.0, then a feature, a fix, a breaking change, docs and an untyped commit."""
    repo = GitRepo(tmp_path / "demo")
    repo.commit("feat: first feature", {"pyproject.toml": '[project]\nversion = "1.1.0"\n'})
    repo.tag("v1.1.0")
    repo.commit("fix: early fix")
    repo.tag("v1.2.0")
    repo.commit("feat(export): CSV export")
    repo.commit("fix: no crash on empty input", author=GRACE)
    repo.commit("feat(api)!: remove the /v1 endpoints\n\nBREAKING CHANGE: clients must call /v2")
    repo.commit("docs: describe the export")
    repo.commit("Tidy up")
    return repo


def toolkit(*repos: GitRepo | tuple[str, Path], **kwargs) -> ReleaseTools:
    configured = [
        Repository(*r) if isinstance(r, tuple) else Repository(r.path.name, r.path) for r in repos
    ]
    return ReleaseTools(configured, **kwargs)


def test_the_toolkit_offers_the_five_read_only_tools(demo):
    assert list(toolkit(demo).functions) == list(TOOLS)


def test_status_names_the_latest_tag_the_commits_since_and_a_dirty_tree(demo):
    demo.write("README.md", "edited\n")
    status = answer(toolkit(demo).release_status("demo"))
    assert status["latest_tag"] == "v1.2.0" and status["version"] == "1.2.0"
    assert status["commits_since"] == 5
    assert status["branch"] == "main" and len(status["head"]) == 7
    assert status["clean"] is False and status["changes"] == ["?? README.md"]


def test_status_of_a_clean_tree(demo):
    status = answer(toolkit(demo).release_status("demo"))
    assert status["clean"] is True and status["changes"] == []


def test_commits_since_the_latest_tag_are_grouped_with_breaking_changes_and_contributors(demo):
    found = answer(toolkit(demo).commits_since("demo"))
    assert found["range"] == "v1.2.0..HEAD" and found["commits"] == 5
    assert [line.split(" ", 1)[1] for line in found["groups"]["feat"]] == [
        "export: CSV export",
        "api: remove the /v1 endpoints [BREAKING]",
    ]
    assert [line.split(" ", 1)[1] for line in found["groups"]["fix"]] == ["no crash on empty input"]
    assert list(found["groups"]) == ["feat", "fix", "docs", "other (not Conventional Commits)"]
    [breaking] = found["breaking"]
    assert breaking.endswith("feat(api)!: remove the /v1 endpoints — clients must call /v2")
    assert found["contributors"] == ["Ada Lovelace (4)", "Grace Hopper (1)"]


def test_commits_since_a_given_tag_and_between_two_refs(demo):
    tools = toolkit(demo)
    assert answer(tools.commits_since("demo", "v1.1.0"))["commits"] == 6
    between = answer(tools.commits_since("demo", "v1.1.0..v1.2.0"))
    assert between["range"] == "v1.1.0..v1.2.0" and between["commits"] == 1
    assert between["groups"] == {"fix": [between["groups"]["fix"][0]]}


def test_the_next_version_and_the_rule_that_decided_it(demo):
    decision = answer(toolkit(demo).next_version("demo"))
    assert decision["next_version"] == "2.0.0" and decision["tag"] == "v2.0.0"
    assert decision["bump"] == "major"
    assert "breaking change" in decision["rule"] and "1.2.0 → 2.0.0" in decision["rule"]
    assert next(iter(decision)) == "next_version"  # first: survives any trimming of the result


def test_pre_releases_count_up_and_are_promoted(tmp_path):
    repo = GitRepo(tmp_path / "pre")
    repo.commit("feat: a")
    repo.tag("v1.2.0")
    repo.commit("feat: b")
    repo.tag("v1.3.0-rc.1")
    repo.commit("fix: c")
    tools = toolkit(repo)
    assert answer(tools.next_version("pre", pre="rc"))["next_version"] == "1.3.0-rc.2"
    final = answer(tools.next_version("pre"))
    assert final["next_version"] == "1.3.0" and "promotes v1.3.0-rc.1" in final["rule"]
    assert answer(tools.release_status("pre"))["latest_tag"] == "v1.3.0-rc.1"
    assert answer(tools.commits_since("pre"))["commits"] == 1
    refused = answer(tools.next_version("pre", pre="alpha"))
    assert "would sort before the tagged v1.3.0-rc.1" in refused["error"]


def test_the_changelog_is_a_keep_a_changelog_section_and_plain_release_notes(demo):
    text = toolkit(demo).changelog("demo")
    section, notes = text.split("\n\nRelease notes:\n")
    assert section.startswith("Unreleased commits: v1.2.0..HEAD (5); next version 2.0.0\n\n")
    assert "## [Unreleased]\n\n### Added\n- CSV export (export)\n" in section
    assert "### Removed\n- **Breaking:** Remove the /v1 endpoints: clients must call /v2" in section
    assert "### Fixed\n- No crash on empty input\n" in section
    assert "Not Conventional Commits, to place by hand:\n- Tidy up\n" in section
    assert notes.startswith("Version 2.0.0 brings 4 changes.")
    assert "Thanks to Ada Lovelace, Grace Hopper." in notes


def test_the_changelog_since_a_given_ref(demo):
    text = toolkit(demo).changelog("demo", since="v1.1.0")
    assert text.startswith("Unreleased commits: v1.1.0..HEAD (6)\n")
    assert "- Early fix" in text and "These changes bring" in text


# --- The checklist --------------------------------------------------------------------------


def checks(result: dict) -> dict[str, dict]:
    return {c["check"]: c for c in result["checks"]}


def test_the_checklist_finds_a_version_that_disagrees_with_the_latest_tag(demo):
    result = answer(toolkit(demo).release_checklist("demo"))
    found = checks(result)
    assert found["version in pyproject.toml"]["ok"] is False
    assert found["version in pyproject.toml"]["detail"] == (
        "1.1.0, but the latest tag v1.2.0 is 1.2.0 (next version: 2.0.0)"
    )
    assert result["ready"] is False
    assert found["tests"]["ok"] is False and found["ci"]["ok"] is False
    assert found["changelog"] == {"check": "changelog", "ok": False, "detail": "no CHANGELOG.md"}
    assert found["clean working tree"]["ok"] is True
    assert found["unreleased commits"] == {
        "check": "unreleased commits",
        "ok": True,
        "detail": "5 commits since v1.2.0",
    }


def test_the_checklist_of_a_repository_ready_to_release(tmp_path):
    repo = GitRepo(tmp_path / "ready")
    repo.commit("feat: a", {"package.json": '{"name": "a", "version": "0.2.0"}'})
    repo.tag("v0.2.0")
    repo.commit(
        "feat: b",
        {
            "package.json": '{"name": "a", "version": "0.3.0"}',
            "src/a/__init__.py": '__version__ = "0.3.0"\n',
            "tests/test_a.py": "def test_a(): pass\n",
            ".github/workflows/ci.yml": "on: push\n",
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n### Added\n- b\n\n## [0.2.0]\n",
        },
    )
    result = answer(toolkit(repo).release_checklist("ready"))
    found = checks(result)
    assert result["ready"] is True, result
    assert found["version in package.json"]["detail"] == (
        "0.3.0: already the next version (latest tag v0.2.0)"
    )
    assert found["version in src/a/__init__.py"]["ok"] is True
    assert found["tests"] == {"check": "tests", "ok": True, "detail": "1 test file (tests/)"}
    assert found["ci"] == {"check": "ci", "ok": True, "detail": ".github/workflows/ci.yml"}
    assert found["changelog"]["detail"] == "CHANGELOG.md: Unreleased section with 1 entry"


def test_the_checklist_reports_uncommitted_changes_and_an_empty_unreleased_section(demo):
    demo.commit("docs: changelog", {"CHANGELOG.md": "# Changelog\n\n## Unreleased\n\n## 1.2.0\n"})
    demo.write("pyproject.toml", '[project]\nversion = "2.0.0"\n')
    found = checks(answer(toolkit(demo).release_checklist("demo")))
    assert found["clean working tree"] == {
        "check": "clean working tree",
        "ok": False,
        "detail": "1 uncommitted change: M pyproject.toml",
    }
    assert found["changelog"]["ok"] is False
    assert found["changelog"]["detail"] == "CHANGELOG.md: the Unreleased section is empty"
    # Files are read as committed: the edited pyproject.toml is not yet what would be released.
    assert found["version in pyproject.toml"]["ok"] is False


# --- Repositories without history or tags ---------------------------------------------------


def test_an_empty_repository(tmp_path):
    repo = GitRepo(tmp_path / "empty")
    tools = toolkit(repo)
    status = answer(tools.release_status("empty"))
    assert status["head"] is None and status["latest_tag"] is None
    assert status["commits_since"] == 0 and status["clean"] is True
    assert "no commits yet" in status["note"]
    for tool in ("commits_since", "next_version", "release_checklist"):
        assert answer(getattr(tools, tool)("empty")) == {
            "error": "repository 'empty' has no commits yet"
        }
    assert tools.changelog("empty") == '{"error": "repository \'empty\' has no commits yet"}'


def test_a_repository_without_tags(tmp_path):
    repo = GitRepo(tmp_path / "fresh")
    repo.commit("feat: a")
    repo.commit("fix: b")
    repo.tag("nightly", annotated=False)  # not a release tag
    tools = toolkit(repo)
    status = answer(tools.release_status("fresh"))
    assert status["latest_tag"] is None and status["commits_since"] == 2
    assert "no release tag" in status["note"]
    assert answer(tools.commits_since("fresh"))["range"] == "HEAD (no release tag: all commits)"
    decision = answer(tools.next_version("fresh"))
    assert decision["next_version"] == "0.1.0" and decision["bump"] == "initial"


def test_a_bare_repository_has_no_working_tree_to_check(tmp_path):
    work = GitRepo(tmp_path / "work")
    work.commit("feat: a")
    work.tag("v1.0.0")
    bare = tmp_path / "bare.git"
    work.git("clone", "-q", "--bare", str(work.path), str(bare))
    status = answer(toolkit(("bare", bare)).release_status("bare"))
    assert status["latest_tag"] == "v1.0.0" and status["clean"] is None


# --- What is refused ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["api", "/etc", "../demo", "demo/.git", "", "DEMO"])
def test_only_configured_names_are_repositories(demo, name):
    for tool in TOOLS:
        error = answer(getattr(toolkit(demo), tool)(name))["error"]
        assert error == f"unknown repository {name!r}; available: demo"


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=touch /tmp/owned",
        "-n1",
        "--output=/tmp/x",
        "v1.1.0..--all",
        "--all..HEAD",
    ],
)
def test_refs_that_look_like_options_are_refused(demo, ref):
    for call in (
        lambda t: t.commits_since("demo", ref),
        lambda t: t.changelog("demo", since=ref),
    ):
        error = answer(call(toolkit(demo)))["error"]
        assert "looks like a command-line option" in error
    assert not Path("/tmp/owned").exists()


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("v9.9.9", "unknown ref 'v9.9.9' in repository 'demo'"),
        ("v1.1.0...v1.2.0", "use two dots"),
        ("v1.2.0 HEAD", "refused ref"),
        ("v1.2.0\nHEAD", "refused ref"),
        ("HEAD:pyproject.toml", "unknown ref"),
    ],
)
def test_bad_refs_get_a_clear_message(demo, ref, says):
    assert says in answer(toolkit(demo).commits_since("demo", ref))["error"]


def test_a_path_that_is_not_a_repository_is_refused(tmp_path):
    (tmp_path / "plain").mkdir()
    missing = tmp_path / "missing"
    tools = toolkit(("plain", tmp_path / "plain"), ("gone", missing))
    assert answer(tools.release_status("plain"))["error"] == (
        f"repository 'plain': {tmp_path / 'plain'} is not a git repository"
    )
    assert answer(tools.release_status("gone"))["error"] == (
        f"repository 'gone': {missing} does not exist or is not a folder"
    )


def test_a_folder_inside_a_repository_is_not_that_repository(demo):
    (demo.path / "sub").mkdir()
    error = answer(toolkit(("sub", demo.path / "sub")).release_status("sub"))["error"]
    assert error.endswith("is not a git repository")


def test_files_that_are_symlinks_out_of_the_repository_are_not_read(demo, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text('[project]\nversion = "6.6.6"\n')
    (demo.path / "pyproject.toml").unlink()
    os.symlink(secret, demo.path / "pyproject.toml")
    os.symlink("../secret.toml", demo.path / "package.json")
    demo.commit("chore: links")
    result = toolkit(demo).release_checklist("demo")
    assert "6.6.6" not in result and str(secret) not in result and "secret" not in result
    found = checks(answer(result))
    assert found["version in pyproject.toml"]["detail"] == (
        "pyproject.toml is a symlink out of the repository; not read"
    )
    assert found["version in package.json"]["ok"] is False


def test_a_symlink_inside_the_repository_is_followed(demo):
    demo.commit("chore: move", {"meta/pyproject.toml": '[project]\nversion = "1.2.0"\n'})
    (demo.path / "pyproject.toml").unlink()
    os.symlink("meta/pyproject.toml", demo.path / "pyproject.toml")
    demo.commit("chore: link")
    found = checks(answer(toolkit(demo).release_checklist("demo")))
    assert found["version in pyproject.toml"] == {
        "check": "version in pyproject.toml",
        "ok": True,
        "detail": "1.2.0, as tag v1.2.0",
    }


def test_a_repository_owned_by_another_user_is_read(demo):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    for folder, dirs, files in os.walk(demo.path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, 65534, 65534)
    assert answer(toolkit(demo).release_status("demo"))["latest_tag"] == "v1.2.0"


def test_the_tools_never_write_to_the_repository(demo):
    demo.write("README.md", "edited\n")
    (demo.path / "history.log").write_text("changed\n")  # status must re-read it, not re-index

    def snapshot() -> dict[str, tuple[int, int]]:
        return {
            str(p): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in demo.path.rglob("*")
            if p.is_file()
        }

    before = snapshot()
    tools = toolkit(demo)
    for tool in TOOLS:
        getattr(tools, tool)("demo")
    assert snapshot() == before


# --- Limits ---------------------------------------------------------------------------------


def test_a_git_call_that_takes_too_long_is_stopped_with_a_message(demo):
    error = answer(toolkit(demo, timeout=0.000001).release_status("demo"))["error"]
    assert error.startswith("git timed out after ") and "repository 'demo'" in error


def test_a_git_call_that_says_too_much_is_stopped_with_a_message(demo):
    error = answer(toolkit(demo, max_output=64).commits_since("demo"))["error"]
    assert "more than 64 bytes" in error and "repository 'demo'" in error


def test_a_server_without_git_says_so(demo, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    error = answer(toolkit(demo).release_status("demo"))["error"]
    assert error == "git is not installed on the server"


def test_a_version_decided_from_part_of_the_history_says_so(demo, monkeypatch):
    import agentllm.tools.release_history as release_history

    monkeypatch.setattr(release_history, "MAX_COMMITS", 2)
    result = answer(toolkit(demo).next_version("demo"))
    assert result["commits"] == 5
    assert "newest 2 of 5 commits" in result["warning"]
    monkeypatch.setattr(release_history, "MAX_COMMITS", 1000)
    assert "warning" not in answer(toolkit(demo).next_version("demo"))

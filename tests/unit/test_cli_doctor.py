"""``agentllm doctor``: each check passing, and failing for real (taken port, unwritable database,
unreachable PostgreSQL, malformed key), through the check functions and through the CLI."""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentllm.cli import app, checks
from tests.support import fake_gemini as gemini
from tests.support.fake_gemini import FakeGemini

GOOD_GEMINI_KEY = "AIza" + "B" * 35  # a Google key's shape; no such key exists
PASSWORD = "pw-not-to-be-shown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def taken_port():
    """A port something other than agentllm listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def good_env(tmp_path, monkeypatch) -> dict[str, str]:
    """Settings under which every check passes: offline model, a fresh SQLite file."""
    env = {
        "AGENTLLM_MODEL": "echo",
        "AGENTLLM_DB_URL": f"sqlite:///{tmp_path / 'db' / 'sessions.db'}",
        "LITELLM_MASTER_KEY": "sk-doctor-test-key",
        "PORT": str(free_port()),
    }
    for name in ("GEMINI_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "JIRA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def doctor(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["doctor", *args], env=env)


# --- the whole command --------------------------------------------------------------------------


def test_doctor_passes_and_exits_0_when_everything_is_fine(good_env):
    result = doctor()
    assert result.exit_code == 0, result.output
    for name in ("Python", "port", "database", "model", "LITELLM_MASTER_KEY"):
        assert name in result.output
    assert "sk-doctor-test-key" not in result.output


def test_doctor_sees_the_libraries_keys_in_dotenv(good_env, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-test-from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("agentllm.config._dotenv_loaded", False)
    result = doctor()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # what .env put in this process
    assert "OPENAI_API_KEY: set" in result.output, result.output
    assert "sk-test-from-dotenv" not in result.output


def test_doctor_exits_1_and_says_what_to_do_when_the_port_is_taken(good_env, taken_port):
    result = doctor("--port", str(taken_port))
    assert result.exit_code == 1, result.output
    assert f"port {taken_port}" in result.output
    assert "--port" in result.output  # the fix


def test_doctor_never_prints_a_key_even_a_malformed_one(good_env):
    bad = "AIza has spaces in it 0123456789"
    result = doctor(env={"GEMINI_API_KEY": bad, "LITELLM_MASTER_KEY": "no-prefix-key-1234"})
    assert result.exit_code == 1
    assert bad not in result.output and "has spaces" not in result.output
    assert "no-prefix-key-1234" not in result.output
    assert "GEMINI_API_KEY" in result.output


# --- port ---------------------------------------------------------------------------------------


def test_a_free_port_passes():
    outcome = checks.port("127.0.0.1", free_port())
    assert outcome.ok and "free" in outcome.detail


def test_a_port_taken_by_another_program_fails_with_a_fix(taken_port):
    outcome = checks.port("127.0.0.1", taken_port)
    assert not outcome.ok
    assert "another program" in outcome.detail
    assert "--port" in outcome.fix and "PORT" in outcome.fix


class _LiteLLMLike(BaseHTTPRequestHandler):
    """Answers as a LiteLLM proxy serving no agents would."""

    models_status = 200

    def do_GET(self) -> None:
        if self.path == "/health/liveliness":
            status, body = 200, b'"I\'m alive!"'
        else:
            status, body = self.models_status, b'{"data": [{"id": "gpt-4o-mini"}]}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def litellm_without_agents():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LiteLLMLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_port_taken_by_a_litellm_proxy_without_agents_fails(litellm_without_agents):
    outcome = checks.port("127.0.0.1", litellm_without_agents, "sk-any")
    assert not outcome.ok
    assert "LiteLLM proxy without agentllm's agents" in outcome.detail


# --- keys ---------------------------------------------------------------------------------------


def test_a_well_formed_google_key_passes_and_is_described_not_shown():
    outcome = checks.key("GEMINI_API_KEY", GOOD_GEMINI_KEY)
    assert outcome.ok
    assert "39 chars" in outcome.detail and "Google" in outcome.detail
    assert GOOD_GEMINI_KEY not in outcome.detail + outcome.fix


@pytest.mark.parametrize(
    "bad",
    [
        "AIza" + "B" * 20 + " " + "B" * 14,  # a space inside (a paste that went wrong)
        "sk-" + "B" * 36,  # another vendor's key
        "AIza" + "B" * 30,  # cut short
    ],
)
def test_a_malformed_google_key_fails_with_a_fix(bad):
    outcome = checks.key("GEMINI_API_KEY", bad)
    assert not outcome.ok
    assert "GEMINI_API_KEY" in outcome.fix
    assert bad not in outcome.detail + outcome.fix


def test_an_unset_optional_key_passes_and_says_so():
    outcome = checks.key("GEMINI_API_KEY", None)
    assert outcome.ok and "not set" in outcome.detail


def test_the_master_key_must_start_with_sk():
    assert checks.key("LITELLM_MASTER_KEY", "sk-anything-1234").ok
    outcome = checks.key("LITELLM_MASTER_KEY", "anything-1234")
    assert not outcome.ok and "sk-" in outcome.fix


def test_a_github_token_is_checked_by_its_prefix():
    assert checks.key("GITHUB_TOKEN", "ghp_" + "a" * 36).ok
    assert not checks.key("GITHUB_TOKEN", "token " + "a" * 36).ok


# --- database -----------------------------------------------------------------------------------


def test_a_writable_sqlite_database_passes_after_a_real_write(tmp_path):
    outcome = checks.database(f"sqlite:///{tmp_path / 'new' / 'sessions.db'}")
    assert outcome.ok, outcome
    assert "SQLite" in outcome.detail and "writable" in outcome.detail
    assert (tmp_path / "new").is_dir()  # made as `agentllm serve` would


def test_a_sqlite_path_whose_directory_cannot_exist_fails_with_a_fix(tmp_path):
    # A regular file where the directory should be: nothing, not even root, can create it.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    outcome = checks.database(f"sqlite:///{blocker / 'sessions.db'}")
    assert not outcome.ok
    assert str(blocker) in outcome.detail
    assert "AGENTLLM_DB_URL" in outcome.fix


def test_a_sqlite_path_that_is_a_directory_fails(tmp_path):
    outcome = checks.database(f"sqlite:///{tmp_path}")
    assert not outcome.ok and "AGENTLLM_DB_URL" in outcome.fix


def test_an_unreachable_postgresql_fails_without_showing_the_password():
    url = f"postgresql://agentllm:{PASSWORD}@127.0.0.1:{free_port()}/agentllm"
    outcome = checks.database(url)
    assert not outcome.ok
    assert "127.0.0.1" in outcome.detail
    assert PASSWORD not in outcome.detail + outcome.fix
    assert "PostgreSQL" in outcome.fix


def test_an_unsupported_database_url_fails_with_a_fix():
    outcome = checks.database("mysql://user@localhost/db")
    assert not outcome.ok and "AGENTLLM_DB_URL" in outcome.detail + outcome.fix


# --- model --------------------------------------------------------------------------------------


def test_the_offline_model_answers_a_one_token_call(good_env):
    outcome = checks.model()
    assert outcome.ok, outcome
    assert "echo" in outcome.detail


def test_gemini_without_a_key_fails_and_says_to_set_it(good_env, monkeypatch):
    monkeypatch.setenv("AGENTLLM_MODEL", "google:gemini-2.5-flash")
    outcome = checks.model()
    assert not outcome.ok
    assert "GEMINI_API_KEY" in outcome.fix


@pytest.fixture
def fake_gemini(good_env, monkeypatch):
    with FakeGemini() as server:
        monkeypatch.setenv("AGENTLLM_MODEL", "google:gemini-2.5-flash")
        monkeypatch.setenv("GEMINI_API_KEY", GOOD_GEMINI_KEY)
        monkeypatch.setenv("GEMINI_API_BASE", f"{server.url}/v1beta")
        yield server


def test_gemini_that_answers_passes_with_one_token_asked(fake_gemini):
    fake_gemini.script(gemini.answer("pong"))
    outcome = checks.model()
    assert outcome.ok, outcome
    [request] = fake_gemini.requests
    assert gemini.generation_config(request)["maxOutputTokens"] == 1


def test_gemini_refusing_the_key_fails_and_names_the_key(fake_gemini):
    fake_gemini.script(gemini.error("bad_key"))
    outcome = checks.model()
    assert not outcome.ok
    assert "GEMINI_API_KEY" in outcome.fix
    assert GOOD_GEMINI_KEY not in outcome.detail + outcome.fix


# --- versions and Open WebUI ---------------------------------------------------------------------


def test_python_and_dependency_versions_are_reported():
    outcome = checks.versions()
    assert outcome.ok
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in outcome.detail
    for name in ("litellm", "agno"):
        assert name in outcome.detail


def test_open_webui_is_informational_present_or_not(tmp_path):
    absent = checks.open_webui(tmp_path)
    assert absent.ok and "not installed" in absent.detail and "make ui" in absent.detail
    (tmp_path / ".ui-venv" / "bin").mkdir(parents=True)
    (tmp_path / ".ui-venv" / "bin" / "open-webui").write_text("#!/bin/sh\n")
    present = checks.open_webui(tmp_path)
    assert present.ok and str(tmp_path / ".ui-venv") in present.detail


def test_doctor_output_covers_a_missing_directory_for_the_database(good_env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = doctor(env={"AGENTLLM_DB_URL": f"sqlite:///{blocker / 'x.db'}"})
    assert result.exit_code == 1
    assert "AGENTLLM_DB_URL" in result.output


def test_a_relative_sqlite_path_is_taken_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = checks.database("sqlite:///rel/sessions.db")
    assert outcome.ok, outcome
    assert Path(tmp_path / "rel").is_dir()


def test_a_malformed_setting_fails_the_configuration_check_and_names_it(good_env):
    result = doctor(env={"PORT": "eighty"})
    assert result.exit_code == 1
    assert "configuration" in result.output and "PORT" in result.output
    assert "Python" in result.output  # what needs no settings is still checked

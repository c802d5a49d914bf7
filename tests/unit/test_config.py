"""Settings from the environment and .env, and the start-up banner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentllm import config
from agentllm.server import banner, serve

VARIABLES = [
    "GEMINI_API_KEY",
    "GEMINI_API_BASE",
    "LITELLM_MASTER_KEY",
    "AGENTLLM_MODEL",
    "AGENTLLM_DB_URL",
    "HOST",
    "PORT",
    "AGENTLLM_REQUEST_TIMEOUT",
    "AGENTLLM_AGENT_CACHE_SIZE",
    "AGENTLLM_TOOL_DISPLAY",
    "AGENTLLM_TRUST_OPENWEBUI_HEADERS",
    "AGENTLLM_BACKGROUND_TASK_PATTERN",
    "AGENTLLM_ECHO_DELAY",
    "WORKERS",
    "AGENTLLM_MAX_IMAGE_BYTES",
    "AGENTLLM_MAX_IMAGES",
    "AGENTLLM_MAX_BODY_BYTES",
    "AGENTLLM_LOG_LEVEL",
    "AGENTLLM_BENCH",
    "AGENTLLM_REPOS",
    "GITHUB_TOKEN",
    "JIRA_SERVER_URL",
    "JIRA_USERNAME",
    "JIRA_TOKEN",
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_local_model(monkeypatch):
    """A checkout where the optional local model (``uv sync --extra local``) is not installed."""
    monkeypatch.setattr(config, "local_model_available", lambda: False)


def test_every_setting_is_cleared_by_these_tests():
    # Otherwise a variable set on the developer's machine would change what these tests see.
    assert set(config.Settings.variables().values()) == set(VARIABLES)


def test_defaults_without_any_configuration(clean_env, no_local_model):
    s = config.settings()
    assert s.master_key.get_secret_value() == config.DEFAULT_MASTER_KEY
    assert s.agent_model == "echo" and s.uses_offline_model
    assert s.db_url == "sqlite:///tmp/agno_sessions.db"
    assert (s.host, s.port) == ("127.0.0.1", 8890)
    assert s.trust_openwebui_headers is True
    assert s.workers == 1
    assert s.max_image_bytes == 20 * 1024 * 1024
    assert s.max_images == 32
    assert s.max_body_bytes == 8 * 1024 * 1024
    assert s.log_level == "info"
    assert s.bench is False
    assert s.repos == ()
    assert s.github_token is None and s.jira_server_url is None


def test_repositories_are_name_path_pairs(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTLLM_REPOS", " demo=/srv/git/demo , api=/srv/git/api,local=repo,")
    s = config.settings()
    assert s.repos == (
        config.Repository("demo", Path("/srv/git/demo")),
        config.Repository("api", Path("/srv/git/api")),
        config.Repository("local", clean_env / "repo"),  # relative to the working directory
    )
    assert s.repo_names == ("demo", "api", "local")


def test_repositories_need_not_exist_when_the_settings_are_read(clean_env, monkeypatch):
    # Availability is checked when a tool runs: a repository mounted later, or gone for a while,
    # must not keep the proxy (and every other agent) from starting.
    monkeypatch.setenv("AGENTLLM_REPOS", "gone=/nonexistent/repo")
    assert config.settings().repos[0].path == Path("/nonexistent/repo")


def test_github_and_jira_settings_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    monkeypatch.setenv("JIRA_SERVER_URL", "https://jira.example")
    monkeypatch.setenv("JIRA_USERNAME", "me")
    monkeypatch.setenv("JIRA_TOKEN", "t0ken")
    s = config.settings()
    assert (s.jira_server_url, s.jira_username) == ("https://jira.example", "me")
    assert s.github_token is not None and s.github_token.get_secret_value() == "ghp_test"
    assert s.jira_token is not None and s.jira_token.get_secret_value() == "t0ken"


def test_image_limits_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTLLM_MAX_IMAGE_BYTES", "1000")
    monkeypatch.setenv("AGENTLLM_MAX_IMAGES", "2")
    s = config.settings()
    assert (s.max_image_bytes, s.max_images) == (1000, 2)


def test_workers_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("WORKERS", "3")
    assert config.settings().workers == 3


def test_gemini_key_selects_gemini_by_default(clean_env, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-test")
    s = config.settings()
    assert s.agent_model == "google:gemini-2.5-flash" and not s.uses_offline_model


def test_gemini_api_base_is_a_url_without_trailing_slash(clean_env, monkeypatch):
    assert config.settings().gemini_api_base is None
    monkeypatch.setenv("GEMINI_API_BASE", "http://127.0.0.1:8080/v1beta/")
    config.settings.cache_clear()
    assert config.settings().gemini_api_base == "http://127.0.0.1:8080/v1beta"


def test_banner_names_a_gemini_api_base(clean_env, monkeypatch):
    monkeypatch.setenv("GEMINI_API_BASE", "http://127.0.0.1:8080/v1beta")
    text = banner(config.settings(), [], "http://127.0.0.1:8890")
    assert "Gemini API: http://127.0.0.1:8080/v1beta" in text


def test_dotenv_is_loaded_and_the_environment_wins(clean_env, monkeypatch):
    (clean_env / ".env").write_text(
        "LITELLM_MASTER_KEY=from-dotenv\nAGENTLLM_MODEL=openai:gpt-4o-mini\nPORT=9001\n"
    )
    monkeypatch.setenv("PORT", "9002")
    s = config.settings()
    assert s.master_key.get_secret_value() == "from-dotenv"
    assert s.agent_model == "openai:gpt-4o-mini"
    assert s.port == 9002


def test_reading_dotenv_leaves_the_process_environment_alone(clean_env):
    (clean_env / ".env").write_text("AGENTLLM_MODEL=openai:gpt-4o-mini\nHOST=0.0.0.0\n")
    assert config.settings().host == "0.0.0.0"
    assert "HOST" not in os.environ


def test_empty_and_blank_values_count_as_unset(clean_env, monkeypatch):
    for name in ("PORT", "WORKERS", "AGENTLLM_MAX_BODY_BYTES", "AGENTLLM_LOG_LEVEL", "HOST"):
        monkeypatch.setenv(name, "  ")
    monkeypatch.setenv("LITELLM_MASTER_KEY", "")
    s = config.settings()
    assert (s.port, s.workers, s.max_body_bytes, s.log_level) == (8890, 1, 8 * 1024 * 1024, "info")
    assert s.host == "127.0.0.1"
    assert s.master_key.get_secret_value() == config.DEFAULT_MASTER_KEY
    assert s.master_key_source.startswith("built-in default")


def test_values_are_trimmed(clean_env, monkeypatch):
    monkeypatch.setenv("LITELLM_MASTER_KEY", " sk-spaced \n")
    monkeypatch.setenv("AGENTLLM_LOG_LEVEL", " DEBUG ")
    s = config.settings()
    assert s.master_key.get_secret_value() == "sk-spaced"
    assert s.master_key_source == "LITELLM_MASTER_KEY"
    assert s.log_level == "debug"


def test_settings_are_read_once_until_the_cache_is_cleared(clean_env, monkeypatch):
    first = config.settings()
    monkeypatch.setenv("PORT", "9100")
    assert config.settings() is first and first.port == 8890
    config.settings.cache_clear()
    assert config.settings().port == 9100


def test_body_limit_log_level_and_bench_flag_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTLLM_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("AGENTLLM_LOG_LEVEL", "warning")
    monkeypatch.setenv("AGENTLLM_BENCH", "1")
    s = config.settings()
    assert (s.max_body_bytes, s.log_level, s.bench) == (1000, "warning", True)


@pytest.mark.parametrize(
    ("environment", "model", "source"),
    [
        ({}, "echo", config.ModelSource.OFFLINE_FALLBACK),
        ({"GEMINI_API_KEY": "g-key"}, "google:gemini-2.5-flash", config.ModelSource.GEMINI_DEFAULT),
        ({"AGENTLLM_MODEL": "ollama:llama3.2"}, "ollama:llama3.2", config.ModelSource.CONFIGURED),
        (
            {"AGENTLLM_MODEL": "echo", "GEMINI_API_KEY": "g-key"},
            "echo",
            config.ModelSource.CONFIGURED,
        ),
    ],
)
def test_where_the_agents_model_comes_from_is_typed(
    clean_env, no_local_model, monkeypatch, environment, model, source
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    s = config.settings()
    assert (s.agent_model, s.model_source) == (model, source)


def test_no_secret_is_in_the_settings_repr(clean_env, monkeypatch):
    secrets = {
        "LITELLM_MASTER_KEY": "sk-master-secret-1",
        "GEMINI_API_KEY": "gemini-secret-2",
        "GITHUB_TOKEN": "ghp_secret3",
        "JIRA_TOKEN": "jira-secret-4",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    # A generated password may hold '/' (SQLAlchemy takes everything up to the '@').
    monkeypatch.setenv("AGENTLLM_DB_URL", "postgresql://agno:db/pass-5@db.internal:5432/agno")
    monkeypatch.setenv("GEMINI_API_BASE", "https://user:basepass-6@gateway.internal/v1beta")
    monkeypatch.setenv("JIRA_SERVER_URL", "https://bot:jirapass-7@jira.internal")
    s = config.settings()
    shown = repr(s) + str(s)
    passwords = ["db/pass-5", "basepass-6", "jirapass-7"]
    for value in [*secrets.values(), *passwords]:
        assert value not in shown
    # What is not secret is still there to read.
    assert "db.internal:5432/agno" in shown and "gateway.internal/v1beta" in shown
    assert "jira.internal" in shown
    # ... and the logs are told every secret to redact.
    assert set(s.secret_values()) == {*secrets.values(), *passwords}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "0"),
        ("AGENTLLM_REQUEST_TIMEOUT", "-1"),
        ("AGENTLLM_REQUEST_TIMEOUT", "soon"),
        ("AGENTLLM_ECHO_DELAY", "-0.5"),
        ("WORKERS", "0"),
        ("WORKERS", "many"),
        ("AGENTLLM_MAX_IMAGE_BYTES", "0"),
        ("AGENTLLM_MAX_IMAGE_BYTES", "20MB"),
        ("AGENTLLM_MAX_IMAGES", "-1"),
        ("AGENTLLM_MAX_IMAGES", "lots"),
        ("GEMINI_API_BASE", "localhost:8080/v1beta"),
        ("AGENTLLM_REPOS", "demo"),
        ("AGENTLLM_REPOS", "demo="),
        ("AGENTLLM_REPOS", "=/srv/git/demo"),
        ("AGENTLLM_REPOS", "my repo=/srv/git/demo"),
        ("AGENTLLM_REPOS", "../x=/srv/git/demo"),
        ("AGENTLLM_REPOS", "-x=/srv/git/demo"),
        ("AGENTLLM_REPOS", "demo=/srv/a,demo=/srv/b"),
        ("AGENTLLM_MAX_BODY_BYTES", "8MB"),
        ("AGENTLLM_MAX_BODY_BYTES", "0"),
        ("AGENTLLM_MAX_BODY_BYTES", "-5"),
        ("AGENTLLM_AGENT_CACHE_SIZE", "0"),
        ("AGENTLLM_TOOL_DISPLAY", "fancy"),
        ("AGENTLLM_LOG_LEVEL", "loud"),
        ("AGENTLLM_TRUST_OPENWEBUI_HEADERS", "maybe"),
        ("AGENTLLM_BENCH", "sometimes"),
        ("AGENTLLM_ECHO_DELAY", "inf"),
    ],
)
def test_bad_values_are_reported_by_name(clean_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name) as raised:
        config.settings()
    message = str(raised.value)
    assert "\n" not in message and "pydantic" not in message and "validation error" not in message


def test_every_bad_value_is_reported_at_once(clean_env, monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ValueError) as raised:
        config.settings()
    assert "PORT" in str(raised.value) and "WORKERS" in str(raised.value)


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("off", False), ("YES", True)])
def test_flags_take_the_usual_words(clean_env, monkeypatch, value, expected):
    monkeypatch.setenv("AGENTLLM_TRUST_OPENWEBUI_HEADERS", value)
    assert config.settings().trust_openwebui_headers is expected


def test_banner_says_where_everything_is(clean_env, no_local_model):
    text = banner(
        config.settings(), ["agno/release-manager", "gemini-2.5-pro"], "http://127.0.0.1:8890"
    )
    assert "http://127.0.0.1:8890/v1" in text
    assert "agno/release-manager, gemini-2.5-pro" in text
    assert "SQLite at tmp/agno_sessions.db" in text
    assert "offline model" in text and "GEMINI_API_KEY" in text
    assert "agents run on: echo  [offline fallback" in text
    assert "make serve MODEL=local" in text
    assert config.DEFAULT_MASTER_KEY not in text


@pytest.mark.parametrize(
    ("gemini_key", "local_installed", "expected"),
    [
        ("AIza-test", True, "google:gemini-2.5-flash"),
        ("AIza-test", False, "google:gemini-2.5-flash"),
        ("", True, "local"),
        ("", False, "echo"),
    ],
)
def test_default_model_order_is_gemini_then_local_then_echo(
    clean_env, monkeypatch, gemini_key, local_installed, expected
):
    monkeypatch.setenv("GEMINI_API_KEY", gemini_key)
    monkeypatch.setattr(config, "local_model_available", lambda: local_installed)
    s = config.settings()
    assert s.agent_model == expected
    # Agents keep their own Gemini default only when the key chose Gemini (models.build_model).
    assert (s.model_source is config.ModelSource.GEMINI_DEFAULT) == bool(gemini_key)


def test_an_explicit_model_wins_over_the_local_default(clean_env, monkeypatch):
    monkeypatch.setattr(config, "local_model_available", lambda: True)
    monkeypatch.setenv("AGENTLLM_MODEL", "echo")
    assert config.settings().agent_model == "echo"


def test_local_model_available_follows_the_installed_packages():
    from agentllm.models.local import bundled_model_path, runtime_installed

    assert config.local_model_available() == (
        runtime_installed() and bundled_model_path() is not None
    )


def test_banner_says_the_local_model_runs_and_how_to_change_it(clean_env, monkeypatch):
    monkeypatch.setattr(config, "local_model_available", lambda: True)
    text = banner(config.settings(), [], "http://127.0.0.1:8890")
    assert "agents run on: local" in text
    assert "local model" in text and "GEMINI_API_KEY" in text and "AGENTLLM_MODEL" in text
    assert "offline model" not in text


def test_banner_hides_database_passwords(clean_env, monkeypatch):
    monkeypatch.setenv("AGENTLLM_DB_URL", "postgresql://agno:s3cret@db.internal:5432/agno")
    text = banner(config.settings(), [], "http://127.0.0.1:8890")
    assert "s3cret" not in text and "db.internal:5432/agno" in text


def test_agentllm_exits_2_naming_a_bad_variable(clean_env, monkeypatch, capsys):
    # Before this object existed a bad AGENTLLM_MAX_BODY_BYTES silently meant 8 MiB.
    monkeypatch.setenv("AGENTLLM_MAX_BODY_BYTES", "lots")
    assert serve(config_file=clean_env / "proxy_config.yaml") == 2
    assert capsys.readouterr().err == (
        "agentllm: configuration error: AGENTLLM_MAX_BODY_BYTES must be a whole number, "
        "got 'lots'\n"
    )


@pytest.mark.parametrize(
    ("url", "shown", "passwords"),
    [
        ("postgresql://agno:s3cret@db:5432/agno", "postgresql://agno:***@db:5432/agno", ["s3cret"]),
        ("postgresql://agno@db:5432/agno", "postgresql://agno@db:5432/agno", []),
        ("postgresql://db:5432/agno", "postgresql://db:5432/agno", []),
        (
            "postgresql://db/agno?user=agno&password=s3cret&sslmode=require",
            "postgresql://db/agno?user=agno&password=***&sslmode=require",
            ["s3cret"],
        ),
        ("sqlite:///tmp/agno_sessions.db", "sqlite:///tmp/agno_sessions.db", []),
    ],
)
def test_url_passwords_are_found_and_hidden(url, shown, passwords):
    assert config.hide_credentials(url) == shown
    assert config.url_passwords(url) == passwords

"""Developer sessions, run in the project environment that ``uv sync`` made (``make`` does it)."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["test", "integration"]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@nox.session
def test(session: nox.Session) -> None:
    """Unit tests: pure translation, registry, offline model (seconds)."""
    session.run("python", "-m", "pytest", "tests/unit", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Integration tests: the real proxy, agent, SQLite/PostgreSQL and openai client."""
    session.run("python", "-m", "pytest", "tests/integration", *session.posargs)


@nox.session
def proxy(session: nox.Session) -> None:
    """Start the proxy (same as ``make serve``)."""
    session.run("agentllm", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, mypy on src."""
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("mypy")


@nox.session
def format(session: nox.Session) -> None:
    """Apply ruff's fixes and formatting."""
    session.run("ruff", "check", "--fix", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "src", "tests", "noxfile.py")

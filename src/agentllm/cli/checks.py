"""The checks ``agentllm doctor`` runs. Each returns an :class:`Outcome`: whether it passed, what
was found, and what to do when it did not. Keys are described, never shown."""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from sqlalchemy.engine import URL

from agentllm.cli.secrets import describe

# What `make serve` and the agents cannot run without, and what they run on.
DEPENDENCIES = ("litellm", "agno", "google-genai", "openai", "sqlalchemy", "uvicorn", "psycopg")
MIN_PYTHON = (3, 11)
# How long a check waits for a server (PostgreSQL, a proxy on the port) before it gives up.
CONNECT_TIMEOUT = 3


class Outcome(NamedTuple):
    """One check's result; ``fix`` says what to do when ``ok`` is false."""

    ok: bool
    detail: str
    fix: str = ""


# --- versions -----------------------------------------------------------------------------------


def versions() -> Outcome:
    """Python's version and those of the packages agentllm runs on."""
    python = ".".join(map(str, sys.version_info[:3]))
    found, missing = [], []
    for name in DEPENDENCIES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            missing.append(name)
    detail = f"Python {python}; " + ", ".join(found)
    if sys.version_info < MIN_PYTHON:
        return Outcome(False, detail, "agentllm needs Python 3.11 or newer: run `make install`")
    if missing:
        return Outcome(
            False, f"{detail}; missing: {', '.join(missing)}", "run `make install` (uv sync)"
        )
    return Outcome(True, detail)


# --- port ---------------------------------------------------------------------------------------


OURS = "a running agentllm proxy"


def _who_answers(base: str, master_key: str | None) -> str:
    """What listens at ``base``: :data:`OURS` when it is LiteLLM (it answers the liveliness
    probe) and, with this configuration's key, lists agents; else what it is."""
    try:
        live = httpx.get(f"{base}/health/liveliness", timeout=CONNECT_TIMEOUT)
        if live.status_code != 200:
            return "another program"
        headers = {"Authorization": f"Bearer {master_key}"} if master_key else {}
        models = httpx.get(f"{base}/v1/models", headers=headers, timeout=CONNECT_TIMEOUT)
        if models.status_code in (401, 403):
            return "a LiteLLM proxy that refuses this configuration's LITELLM_MASTER_KEY"
        ids = [str(m.get("id", "")) for m in models.json().get("data") or []]
    except (httpx.HTTPError, ValueError, AttributeError):  # not HTTP, not JSON, not a list
        return "another program"
    if any(i.startswith("agno/") for i in ids):
        return OURS
    return "a LiteLLM proxy without agentllm's agents"


def port(host: str, number: int, master_key: str | None = None) -> Outcome:
    """The port is free, or the agentllm proxy (this configuration's key) already serves on it."""
    where = f"port {number} on {host}"
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As uvicorn binds: connections closing in TIME_WAIT do not make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, number))
            return Outcome(True, f"{where} is free")
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return Outcome(
                    False,
                    f"cannot listen on {where}: {exc.strerror}",
                    "use an address of this machine and a port above 1023: --host/--port or "
                    "HOST/PORT in .env",
                )
    local = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    base = f"http://[{local}]:{number}" if ":" in local else f"http://{local}:{number}"
    what = _who_answers(base, master_key)
    if what == OURS:
        return Outcome(True, f"{where} is in use by {OURS} ({base})")
    return Outcome(
        False,
        f"{where} is in use by {what}",
        f"stop it, or serve on another port: agentllm serve --port N (or PORT=N in .env); "
        f"`ss -ltnp 'sport = :{number}'` shows which process has it",
    )


# --- keys ---------------------------------------------------------------------------------------


class KeyFormat(NamedTuple):
    pattern: re.Pattern[str]
    looks_like: str
    expected: str  # said when the value does not match


KEY_FORMATS = {
    "LITELLM_MASTER_KEY": KeyFormat(
        re.compile(r"sk-\S+"), "a LiteLLM key", "a key starting with 'sk-' (LiteLLM's keys do)"
    ),
    "GEMINI_API_KEY": KeyFormat(
        re.compile(r"AIza[0-9A-Za-z_-]{35}"),
        "a Google API key",
        "a Google API key: 'AIza' and 35 letters, digits, '-' or '_' (39 characters)",
    ),
    "OPENAI_API_KEY": KeyFormat(
        re.compile(r"sk-[0-9A-Za-z_-]{20,}"), "an OpenAI key", "an OpenAI key starting with 'sk-'"
    ),
    "GITHUB_TOKEN": KeyFormat(
        re.compile(r"(gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{30,})"),
        "a GitHub token",
        "a GitHub token (ghp_…, github_pat_…, gho_…, ghs_…)",
    ),
    "JIRA_TOKEN": KeyFormat(re.compile(r"\S+"), "", "a token without white space"),
}
# Where each key is obtained, for the fix.
KEY_SOURCES = {
    "LITELLM_MASTER_KEY": "choose one, e.g. sk- followed by `openssl rand -hex 16`",
    "GEMINI_API_KEY": "copy it again from https://aistudio.google.com/apikey",
    "OPENAI_API_KEY": "copy it again from the OpenAI dashboard",
    "GITHUB_TOKEN": "create one under GitHub settings → Developer settings",
    "JIRA_TOKEN": "create one in your Atlassian account settings",
}


def key(name: str, value: str | None) -> Outcome:
    """Whether ``name`` is set and shaped as its kind of key; the value is never shown."""
    if not value:
        return Outcome(True, "not set")
    form = KEY_FORMATS[name]
    described = describe(value, form.looks_like if form.pattern.fullmatch(value) else None)
    if form.pattern.fullmatch(value):
        return Outcome(True, described)
    problem = "contains white space" if any(c.isspace() for c in value) else "has the wrong form"
    return Outcome(
        False,
        f"{described}; it {problem}",
        f"set {name} in .env or the environment to {form.expected}; {KEY_SOURCES[name]}",
    )


# --- database -----------------------------------------------------------------------------------


def database(url: str) -> Outcome:
    """The database is reachable and takes a write (rolled back): SQLite or PostgreSQL."""
    from agentllm.db import DatabaseConfigError, parse_url

    try:
        parsed = parse_url(url)
    except DatabaseConfigError as exc:
        return Outcome(
            False,
            str(exc),
            "set AGENTLLM_DB_URL to sqlite:///path/to/file.db or "
            "postgresql://user:password@host:5432/db",
        )
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(Path(parsed.database or ""))
    return _postgres(parsed)


_SQLITE_FIX = "set AGENTLLM_DB_URL=sqlite:///path/in/a/writable/directory/sessions.db"


def _probe_write(engine_url: str, connect_args: dict) -> str | None:
    """Write a row into a new table and roll it all back; the database's error, or None."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(engine_url, connect_args=connect_args, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            # Explicit statements: SQLite's driver would otherwise commit the DDL by itself.
            connection.exec_driver_sql("BEGIN")
            try:
                connection.exec_driver_sql("CREATE TABLE agentllm_doctor_probe (x INTEGER)")
                connection.exec_driver_sql("INSERT INTO agentllm_doctor_probe VALUES (1)")
            finally:
                connection.exec_driver_sql("ROLLBACK")
        return None
    except SQLAlchemyError as exc:
        return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    finally:
        engine.dispose()


def _sqlite(path: Path) -> Outcome:
    shown = path.resolve() if str(path) else path
    if not str(path) or path.is_dir():
        return Outcome(False, f"SQLite database path {shown} is not a file", _SQLITE_FIX)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # as `agentllm serve` does
    except OSError as exc:
        return Outcome(
            False,
            f"SQLite at {shown}: its directory {path.parent.resolve()} cannot be created "
            f"({exc.strerror})",
            _SQLITE_FIX,
        )
    problem = _probe_write(f"sqlite:///{path}", {"timeout": CONNECT_TIMEOUT})
    if problem is not None:
        return Outcome(False, f"SQLite at {shown} refuses a write: {problem}", _SQLITE_FIX)
    return Outcome(True, f"SQLite at {shown}: writable")


def _postgres(parsed: URL) -> Outcome:
    shown = parsed.set(drivername="postgresql").render_as_string(hide_password=True)
    engine_url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    problem = _probe_write(engine_url, {"connect_timeout": CONNECT_TIMEOUT})
    if problem is not None:
        if parsed.password:
            problem = problem.replace(parsed.password, "***")
        return Outcome(
            False,
            f"PostgreSQL at {shown}: {problem}",
            "start PostgreSQL, or correct host, port, user, password and database in "
            "AGENTLLM_DB_URL (the user needs to create tables)",
        )
    return Outcome(True, f"PostgreSQL at {shown}: reachable and writable")


# --- services -----------------------------------------------------------------------------------


def jira(server_url: str | None) -> Outcome:
    """A configured Jira answers the server's start-up check (any HTTP status counts)."""
    if not server_url:
        return Outcome(True, "not set")
    from agentllm.config import hide_credentials
    from agentllm.tools.services import JIRA_PROBE_SECONDS, check_jira

    shown = hide_credentials(server_url)
    logging.disable(logging.WARNING)  # the check logs for the server; the outcome says it here
    try:
        problem = check_jira(server_url)
    finally:
        logging.disable(logging.NOTSET)
    if problem is None:
        return Outcome(True, f"{shown} answered")
    return Outcome(
        False,
        f"{shown} {problem.removeprefix('the server ')}",
        f"correct JIRA_SERVER_URL, or let this machine reach it within {JIRA_PROBE_SECONDS:g} s; "
        "until it answers when the server starts, the release manager runs without Jira",
    )


# --- model --------------------------------------------------------------------------------------

PROBE = "Reply with the single word: ok"


def _model_failure(spec: str, exc: BaseException) -> Outcome:
    """What a failed one-token call means, with what to do (the vendor's words kept)."""
    from agentllm.logs import redact
    from agentllm.upstream import CARRIED, for_client

    upstream = CARRIED.find(str(exc))
    if upstream is not None:
        reply = for_client(upstream)
        said, _, advice = reply.message.partition(" — ")
        return Outcome(False, f"{spec}: {redact(said)}", advice or "see the message above")
    text = redact(" ".join(str(exc).split())) or type(exc).__name__
    return Outcome(
        False,
        f"{spec}: {text}",
        "check AGENTLLM_MODEL and the key and network that model needs; "
        "AGENTLLM_MODEL=echo runs the offline model",
    )


def _gemini_without_key(built: Any) -> bool:
    """An AI Studio Gemini with no key where Agno looks (Vertex AI authenticates otherwise)."""
    from agno.models.google import Gemini

    return (
        isinstance(built, Gemini)
        and not built.vertexai
        and not (built.api_key or os.environ.get("GOOGLE_API_KEY"))
    )


def model() -> Outcome:
    """Each distinct model the agents run on answers a one-token call."""
    from agno.models.base import Model
    from agno.models.message import Message

    from agentllm.cli.inventory import built_agents, model_of
    from agentllm.config import settings

    config = settings()
    spec = f"{config.agent_model} [{config.agent_model_source}]"
    try:
        with built_agents(max_tokens=1) as found:
            models: dict[tuple[type, str], Model] = {}
            for info in found:
                built = model_of(info.runner)
                if built is not None:
                    models.setdefault((type(built), built.id), built)
            answered = []
            for built in models.values():
                name = f"{built.provider or type(built).__name__} {built.id}"
                if _gemini_without_key(built):
                    return Outcome(
                        False,
                        f"{name}: GEMINI_API_KEY is not set",
                        "set GEMINI_API_KEY in .env (https://aistudio.google.com/apikey), or "
                        "AGENTLLM_MODEL=echo for the offline model",
                    )
                logging.disable(logging.CRITICAL)  # Agno logs the error this check reports
                try:
                    built.response(messages=[Message(role="user", content=PROBE)])
                finally:
                    logging.disable(logging.NOTSET)
                answered.append(name)
    except Exception as exc:  # whatever the model or its client raises is the finding
        return _model_failure(spec, exc)
    if not answered:
        return Outcome(True, "no agent has a model of its own")
    return Outcome(True, f"{', '.join(answered)} answered a one-token call; model: {spec}")


# --- Open WebUI ---------------------------------------------------------------------------------


def open_webui(root: Path) -> Outcome:
    """Whether ``make ui`` has installed Open WebUI into ``root/.ui-venv`` (never a failure)."""
    venv = root / ".ui-venv"
    if not (venv / "bin" / "open-webui").exists():
        return Outcome(True, f"not installed in {venv} (`make ui` installs and starts it)")
    found = sorted(venv.glob("lib/python*/site-packages/open_webui-*.dist-info"))
    release = found[-1].name.removeprefix("open_webui-").removesuffix(".dist-info") if found else ""
    return Outcome(True, f"installed in {venv}" + (f" (open-webui {release})" if release else ""))

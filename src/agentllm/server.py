"""``agentllm serve``: start the LiteLLM proxy with the project configuration (``make serve``)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from agentllm.config import LOCAL_MODEL, Settings, hide_credentials, load_env, settings
from agentllm.db import DatabaseConfigError, claim_sqlite, describe, is_sqlite

log = logging.getLogger("agentllm")

RUNTIME_CONFIG = Path("tmp/proxy_config.runtime.yaml")
# How much of a request's headers the HTTP server buffers. Past h11's default (16 KiB) uvicorn
# answers with a plain-text 400 and closes the connection while the client is still sending
# (a reset); up to this size the request reaches the guard, which refuses headers over
# agentllm.proxy.guard.MAX_HEADER_BYTES (32 KiB) with an OpenAI-format 431.
MAX_HEADER_BUFFER_BYTES = 1024 * 1024


def banner(config: Settings, models: list[str], url: str, workers: int = 1) -> str:
    """The short start-up summary printed before the server starts."""
    processes = f"  ({workers} worker processes)" if workers > 1 else ""
    lines = [
        f"agentllm proxy on {url}  (OpenAI base URL: {url}/v1){processes}",
        f"  models:   {', '.join(models)}",
        f"  database: {describe(config.db_url)}",
        f"  agents run on: {config.agent_model}  [{config.agent_model_source}]",
        f"  API key:  from {config.master_key_source}",
    ]
    if config.gemini_api_base:
        shown = hide_credentials(config.gemini_api_base)
        lines.append(f"  Gemini API: {shown}  [GEMINI_API_BASE]")
    if config.uses_offline_model:
        lines.append(
            "  WARNING: agents use the deterministic offline model 'echo' (it repeats what it is "
            "sent). Set GEMINI_API_KEY, or AGENTLLM_MODEL=provider:model_id, in .env or the "
            "environment to use a real model; or run `make serve MODEL=local` for a small model "
            "on this machine, no key needed (the first time builds it: 6 to 8 minutes)."
        )
    elif config.agent_model == LOCAL_MODEL:
        lines.append(
            "  note: agents use a small local model (SmolLM2-135M-Instruct, llama.cpp, no tools): "
            "fine for trying the proxy, weak as an assistant. Set GEMINI_API_KEY, or "
            "AGENTLLM_MODEL=provider:model_id, for a real one (docs/local-model.md)."
        )
    if not config.gemini_api_key:
        lines.append(
            "  note: GEMINI_API_KEY is not set, so gemini-2.5-pro / gemini-2.5-flash answer "
            "with an authentication error."
        )
    return "\n".join(lines)


def local_model_problem(spec: str) -> str | None:
    """Why the in-process model ``spec`` asks for cannot run (how to install it), if it cannot."""
    from agentllm.models.local import LocalModelUnavailable, is_local_spec, model_file

    if not is_local_spec(spec):
        return None
    try:
        model_file(spec)
    except LocalModelUnavailable as exc:
        return str(exc)
    return None


def serve(
    config_file: Path = Path("proxy_config.yaml"),
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    runtime_config: Path = RUNTIME_CONFIG,
    log_level: str | None = None,
) -> int:
    """Write the runtime config and serve the proxy until SIGINT/SIGTERM; the exit status.

    ``None`` takes the setting from the environment or ``.env`` (HOST, PORT, WORKERS,
    AGENTLLM_LOG_LEVEL). ``agentllm serve`` (agentllm.cli.serve) is the command line for it.
    """
    load_env()  # for the libraries' own variables (OPENAI_API_KEY...): settings() reads .env itself
    if log_level:
        # Through the environment: every worker process (agentllm.proxy.app.build_app) reads it.
        os.environ["AGENTLLM_LOG_LEVEL"] = log_level
        settings.cache_clear()
    try:
        config = settings()
    except ValueError as exc:
        print(f"agentllm: configuration error: {exc}", file=sys.stderr)
        return 2
    problem = local_model_problem(config.agent_model)
    if problem:
        print(f"agentllm: {problem}", file=sys.stderr)
        return 2
    if not config_file.is_file():
        print(f"agentllm: config file {config_file} not found", file=sys.stderr)
        return 2
    host = host or config.host
    port = port or config.port
    workers = workers or config.workers
    if workers < 1:
        print("agentllm: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        if is_sqlite(config.db_url):
            if workers > 1:
                raise DatabaseConfigError(
                    f"--workers {workers} needs PostgreSQL: SQLite serves one process. Set "
                    "AGENTLLM_DB_URL=postgresql://user:password@host:5432/db (docs/deploy.md)"
                )
            claim_sqlite(config.db_url)  # a second process on the same file stops here
    except DatabaseConfigError as exc:
        print(f"agentllm: {exc}", file=sys.stderr)
        return 2
    # LiteLLM reads these itself (its master key, its gemini-2.5-* entries), .env included.
    os.environ["LITELLM_MASTER_KEY"] = config.master_key.get_secret_value()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if config.gemini_api_key:
        os.environ["GEMINI_API_KEY"] = config.gemini_api_key.get_secret_value()

    from agentllm.proxy.config import model_names, write_runtime_config

    runtime = write_runtime_config(config_file, runtime_config)
    # What every worker process reads when it builds the app (agentllm.proxy.app.build_app).
    os.environ["CONFIG_FILE_PATH"] = str(runtime_config.resolve())
    print(banner(config, model_names(runtime), f"http://{host}:{port}", workers), flush=True)

    import uvicorn

    uvicorn.run(
        "agentllm.proxy.app:build_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=config.log_level,
        timeout_graceful_shutdown=30,
        # h11 whatever else is installed (httptools has other limits), with JSON 400s.
        http="agentllm.proxy.http:JSONErrorsH11Protocol",
        h11_max_incomplete_event_size=MAX_HEADER_BUFFER_BYTES,
    )
    return 0


if __name__ == "__main__":  # `python -m agentllm.server ARGS` = `agentllm serve ARGS`
    from agentllm.cli import main

    main(["serve", *sys.argv[1:]])

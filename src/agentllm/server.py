"""``agentllm``: start the LiteLLM proxy with the project configuration (``make serve``)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from agentllm.config import LOCAL_MODEL, Settings, load_env, settings
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
        shown = re.sub(r"//[^/@]*@", "//***@", config.gemini_api_base)  # no credentials
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


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the runtime config and serve the proxy until SIGINT/SIGTERM."""
    load_env()  # .env may set AGENTLLM_LOG_LEVEL, read by the argument defaults below
    parser = argparse.ArgumentParser(prog="agentllm", description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("proxy_config.yaml"))
    parser.add_argument("--host", default=None, help="default: $HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8890")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes on the one port (default: $WORKERS or 1; more needs PostgreSQL)",
    )
    parser.add_argument(
        "--runtime-config",
        type=Path,
        default=RUNTIME_CONFIG,
        help=f"where to write the generated config (default {RUNTIME_CONFIG})",
    )
    parser.add_argument("--log-level", default=os.environ.get("AGENTLLM_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)

    try:
        config = settings()
    except ValueError as exc:
        print(f"agentllm: configuration error: {exc}", file=sys.stderr)
        return 2
    problem = local_model_problem(config.agent_model)
    if problem:
        print(f"agentllm: {problem}", file=sys.stderr)
        return 2
    host = args.host or config.host
    port = args.port or config.port
    workers = args.workers or config.workers
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
    os.environ["LITELLM_MASTER_KEY"] = config.master_key
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if config.gemini_api_key:
        os.environ["GEMINI_API_KEY"] = config.gemini_api_key
    if not args.config.is_file():
        print(f"agentllm: config file {args.config} not found", file=sys.stderr)
        return 2

    from agentllm.proxy.config import model_names, write_runtime_config

    runtime = write_runtime_config(args.config, args.runtime_config)
    # What every worker process reads when it builds the app (agentllm.proxy.app.build_app).
    os.environ["CONFIG_FILE_PATH"] = str(args.runtime_config.resolve())
    os.environ["AGENTLLM_LOG_LEVEL"] = args.log_level
    print(banner(config, model_names(runtime), f"http://{host}:{port}", workers), flush=True)

    import uvicorn

    uvicorn.run(
        "agentllm.proxy.app:build_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=args.log_level,
        timeout_graceful_shutdown=30,
        # h11 whatever else is installed (httptools has other limits), with JSON 400s.
        http="agentllm.proxy.http:JSONErrorsH11Protocol",
        h11_max_incomplete_event_size=MAX_HEADER_BUFFER_BYTES,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

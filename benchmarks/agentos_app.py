"""The release manager served by Agno's own AgentOS: the peer a user would run instead (a side of
``make bench``).

The agent is built by our factory (``agentllm.agents``) on the offline model with the reply cap
the bench's agent side sends, then given a plain Agno ``SqliteDb`` in the working folder, wrapped
in ``AgentOS(agents=[agent]).get_app()`` and served by uvicorn as ``AgentOS.serve`` does (no
access log). Telemetry is off: ``AgentOS(telemetry=False)`` for the launch event and
``AGNO_TELEMETRY=false`` for the agent's runs (``agno/agent/_init.py: set_telemetry``).

    PORT=8123 AGENTLLM_BENCH_MAX_TOKENS=18 python benchmarks/agentos_app.py

Routes: ``POST /agents/release-manager/runs`` (form fields ``message``, ``stream``,
``session_id``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

os.environ["AGNO_TELEMETRY"] = "false"
os.environ.setdefault("AGENTLLM_MODEL", "echo")

AGENT_NAME = "release-manager"


def build_app(workdir: Path, max_tokens: int | None) -> FastAPI:
    """AgentOS's FastAPI app serving our release manager on a plain SQLite file in ``workdir``."""
    from agno.db.sqlite import SqliteDb
    from agno.os import AgentOS

    from agentllm.agents import get_agent

    # The factory opens agentllm's own store; keep it in the working folder, then replace it.
    os.environ["AGENTLLM_DB_URL"] = f"sqlite:///{workdir / 'agentos-factory.db'}"
    agent = get_agent(AGENT_NAME, max_tokens=max_tokens)
    agent.db = SqliteDb(db_file=str(workdir / "agentos.db"))
    return AgentOS(agents=[agent], telemetry=False).get_app()


def main() -> None:
    import uvicorn

    cap = os.environ.get("AGENTLLM_BENCH_MAX_TOKENS")
    app = build_app(Path.cwd(), int(cap) if cap else None)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), access_log=False)


if __name__ == "__main__":
    main()

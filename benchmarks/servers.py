"""Starting and stopping the servers the harness measures (stock CLI, agentllm, AgentOS)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.settings import CONFIG, KEY, REPLY_WORDS, ROOT, STOCK_CONFIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process the harness started, on a loopback port."""

    name: str
    url: str
    pid: int
    log_path: Path


@dataclass(frozen=True)
class Side:
    """One model on one server: what a scenario sends requests to."""

    name: str
    server: Server
    model: str
    api: str = "openai"  # or "agentos": POST /agents/{model}/runs with form fields


@contextmanager
def running_server(
    name: str, command: list[str], env: dict[str, str], workdir: Path, timeout: float = 300
) -> Iterator[Server]:
    """Start ``command`` (which listens on ``env['PORT']``); stop it with SIGTERM afterwards."""
    port = int(env["PORT"])
    log_path = workdir / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not listening after {timeout} s")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        yield Server(name, f"http://127.0.0.1:{port}", process.pid, log_path)
    except BaseException:
        # The log is deleted with the work folder: show why the server went away, if it did.
        state = "running" if process.poll() is None else f"exited with {process.returncode}"
        tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-40:])
        print(f"bench: {name} ({state}); its log ends:\n{tail}", file=sys.stderr, flush=True)
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_env(port: int, **extra: str) -> dict[str, str]:
    """The user's environment (as ``make serve`` sees it) plus the harness's key and port."""
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": KEY,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("GEMINI_API_KEY", None)
    return env


def running_agentllm(
    workdir: Path,
    name: str = "agentllm",
    db_url: str | None = None,
    workers: int = 1,
    source: Path | None = None,
) -> Any:
    """``agentllm`` as ``make serve`` starts it: offline model, SQLite in ``workdir`` unless
    ``db_url`` says otherwise. ``source``: another checkout's ``src`` folder to run instead."""
    port = free_port()
    env = server_env(
        port,
        AGENTLLM_MODEL="echo",
        AGENTLLM_DB_URL=db_url or f"sqlite:///{workdir / f'{name}.db'}",
        AGENTLLM_BENCH="1",
    )
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    # `agentllm serve`; a checkout from before the CLI (no agentllm/__main__.py) has only the
    # server module.
    legacy = source is not None and not (source / "agentllm" / "__main__.py").exists()
    serve = ["agentllm.server"] if legacy else ["agentllm", "serve"]
    command = [sys.executable, "-m", *serve, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--config", str(CONFIG), "--runtime-config", str(workdir / f"{name}.yaml")]
    if workers > 1:
        command += ["--workers", str(workers)]
    return running_server(name, command, env, workdir)


def running_stock(workdir: Path, name: str = "stock-litellm", workers: int = 1) -> Any:
    """The stock ``litellm --config`` CLI from the same environment, with a stock config."""
    port = free_port()
    env = server_env(
        port, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    litellm_cli = str(Path(sys.executable).with_name("litellm"))
    command = [litellm_cli, "--config", str(STOCK_CONFIG), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--num_workers", str(workers)]
    return running_server(name, command, env, workdir)


def running_agentos(workdir: Path, name: str = "agentos") -> Any:
    """The same agent under Agno's AgentOS (``benchmarks/agentos_app.py``): our factory, the
    offline model with the agent side's reply cap, a plain Agno ``SqliteDb`` in ``workdir``."""
    port = free_port()
    env = server_env(
        port,
        AGENTLLM_MODEL="echo",
        AGENTLLM_BENCH_MAX_TOKENS=str(REPLY_WORDS),
        AGNO_TELEMETRY="false",
    )
    command = [sys.executable, str(ROOT / "benchmarks" / "agentos_app.py")]
    return running_server(name, command, env, workdir)


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")

"""Benchmark agentllm against the stock LiteLLM proxy in one run (``make bench``).

Three servers run side by side on loopback ports, each started as a user starts it and in the
user's environment:

- the stock ``litellm --config`` CLI (same LiteLLM, no agentllm code) serving ``native-mock``
  (LiteLLM's ``mock_response``) and ``fixed-reply`` (the smallest ``CustomLLM``,
  ``benchmarks/fixed_reply.py``): the floor, and LiteLLM's own custom-provider path;
- ``agentllm`` (what ``make serve`` runs) serving the same ``native-mock`` and
  ``agno/release-manager`` (offline model, SQLite store);
- the same agent, built by the same factory, served by Agno's own AgentOS
  (``benchmarks/agentos_app.py``, a plain Agno ``SqliteDb``): the peer a user would run instead
  (scenarios 1-2).

Every side gets the same requests from the same async load generator in alternating rounds.
Results go to a JSON file and to the generated block of ``docs/BENCHMARKS.md``; the rest of that
page is kept as written.

    python -m benchmarks.run            # full run (about 15 minutes on 2 quiet cores)
    python -m benchmarks.run --smoke    # a few requests per scenario: checks the harness only
    python -m benchmarks.run --scenarios '' --profile   # only py-spy's profile of the agent path
    python -m benchmarks.run --scenarios conversation --size turns=200   # one scenario, resized
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import profile

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "benchmarks" / "bench_config.yaml"
STOCK_CONFIG = ROOT / "benchmarks" / "stock_config.yaml"
KEY = "sk-bench-master-key-0001"
NATIVE_MODEL = "native-mock"
CUSTOM_MODEL = "fixed-reply"
AGENT_MODEL = "agno/release-manager"
AGENTOS_AGENT = "release-manager"  # AgentOS's route: /agents/release-manager/runs
# The offline model answers "echo: <prompt>\ncontext: <prompt>", one word per chunk: 18 chunks,
# as many as the 54-character mock reply in bench_config.yaml at 3 characters per chunk.
PROMPT = "Plan the release of version two point zero"
REPLY_WORDS = 18
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

# Scenarios 1-2 send every side's requests to this many ongoing conversations (X-Session-Id, or
# AgentOS's session_id), each capped at REPLY_WORDS so the history does not lengthen the reply.
CONVERSATIONS = 16

# The sides every scenario compares, by name. "stock" is the floor every ratio is taken against.
STOCK, CUSTOM, NATIVE, AGENT = "stock", "custom", "native", "agent"
AGENTOS = "agentos"  # the same agent served by Agno's AgentOS (benchmarks/agentos_app.py)
BASELINE = "baseline"  # the agent served from another checkout (--baseline-src): an A/B
LABELS = {
    STOCK: "native-mock, stock litellm CLI",
    CUSTOM: "fixed-reply CustomLLM, stock litellm CLI",
    NATIVE: "native-mock, agentllm",
    AGENT: "agno/release-manager, agentllm",
    AGENTOS: "release-manager, Agno AgentOS (same factory, plain SqliteDb)",
    BASELINE: "agno/release-manager, agentllm from --baseline-src",
}
# Scenario 6's sides: one and two worker processes, SQLite and PostgreSQL.
SCALE_LABELS = {
    "stock-1w": "native-mock, stock litellm CLI, 1 worker",
    "stock-2w": "native-mock, stock litellm CLI, 2 workers",
    "agent-sqlite": "agno/release-manager, agentllm, SQLite, 1 worker",
    "agent-pg-1w": "agno/release-manager, agentllm, PostgreSQL, 1 worker",
    "agent-pg-2w": "agno/release-manager, agentllm, PostgreSQL, 2 workers",
}
# Goals (issue: "measure against the stock LiteLLM proxy"): side / stock req/s.
TARGETS = {
    False: {NATIVE: 0.95, AGENT: 0.90},
    True: {NATIVE: 0.95, AGENT: 0.85},
}
# Goals against the peer (issue 20): agent / AgentOS req/s at least 1, time to first token no
# worse (agent's TTFT p50 / AgentOS's at most 1). Reported as verdicts.
AGENTOS_TARGETS = {"rps agent/agentos": 1.0, "ttft_p50 agentos/agent": 1.0}


@dataclass(frozen=True)
class Sizes:
    """How much load each scenario applies."""

    per_side: int = 400
    round_size: int = 100
    concurrency: int = 16
    # Scenario 3 (newest message only): one conversation of ``turns`` turns; turns 2 to
    # ``turn_window`` + 1 against the last ``turn_window``.
    turns: int = 1000
    turn_window: int = 10
    # Scenario 8 (whole history each turn): one conversation of ``history_turns`` turns per side.
    history_turns: int = 200
    # --profile: seconds of non-streaming load on the agent while py-spy samples the server.
    profile_seconds: float = 20.0
    soak_seconds: float = 30.0
    soak_streams: int = 64
    # Scenario 4's lag measured at lower concurrency too, on both sides: LiteLLM's own floor.
    floor_streams: tuple[int, ...] = (1, 4, 16)
    floor_seconds: float = 8.0
    memory_requests: int = 10_000
    memory_users: int = 1_000
    chats: int = 16
    chat_turns: int = 20
    warmup: int = 32


FULL = Sizes()
SMOKE = Sizes(
    per_side=8,
    round_size=4,
    concurrency=4,
    turns=6,
    turn_window=2,
    history_turns=6,
    profile_seconds=2.0,
    soak_seconds=1.5,
    soak_streams=4,
    floor_streams=(1, 2),
    floor_seconds=1.0,
    memory_requests=40,
    memory_users=10,
    chats=3,
    chat_turns=3,
    warmup=2,
)


@dataclass
class Sample:
    """One request as the client saw it."""

    latency: float
    ttft: float | None = None
    chunks: int = 0
    error: str | None = None
    words: int = 0  # of a non-streamed reply
    text: str = ""  # the reply (kept for scenarios that send it back as history)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def summarize(samples: list[Sample], wall: float) -> dict[str, Any]:
    """Requests/s, latency and time-to-first-token percentiles (ms), errors."""
    good = [s for s in samples if s.error is None]
    lat = [s.latency * 1000 for s in good]
    ttft = [s.ttft * 1000 for s in good if s.ttft is not None]
    errors = [s.error for s in samples if s.error is not None]
    return {
        "requests": len(samples),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "seconds": round(wall, 3),
        "rps": round(len(good) / wall, 2) if wall > 0 else 0.0,
        "latency_ms": {f"p{q}": round(percentile(lat, q), 2) for q in (50, 95, 99)}
        | {"mean": round(sum(lat) / len(lat), 2) if lat else 0.0},
        "ttft_ms": {f"p{q}": round(percentile(ttft, q), 2) for q in (50, 95, 99)} if ttft else None,
        "chunks_mean": round(sum(s.chunks for s in good) / len(good), 1) if good else 0.0,
    }


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


class Load:
    """The load generator: one aiohttp session, the same request shape for every side."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.headers = {"Authorization": f"Bearer {KEY}"}

    async def ready(self, side: Side, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                sample = await self.chat(side, False, "warmup", "warmup-0")
                if sample.error is None:
                    return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{side.server.name} did not answer a chat request")
            await asyncio.sleep(0.5)

    async def chat(
        self,
        side: Side,
        stream: bool,
        user: str,
        chat_id: str,
        text: str = PROMPT,
        max_tokens: int | None = None,
        history: list[dict[str, str]] | None = None,
    ) -> Sample:
        """One chat request: a conversation id in ``X-Session-Id`` and the user in the body; or,
        with ``history``, as Open WebUI sends it (the whole conversation, its own headers).
        An AgentOS side gets the same turn as AgentOS takes it (no history, no cap: its agent is
        built with the cap)."""
        if side.api == "agentos":
            return await self._agentos_run(side, stream, user, chat_id, text)
        body: dict[str, Any] = {
            "model": side.model,
            "messages": [*(history or []), {"role": "user", "content": text}],
            "stream": stream,
        }
        if history is None:
            body["user"] = user
            headers = {**self.headers, "X-Session-Id": chat_id}
        else:
            headers = {
                **self.headers,
                "X-OpenWebUI-User-Id": user,
                "X-OpenWebUI-User-Name": user,
                "X-OpenWebUI-Chat-Id": chat_id,
            }
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        start = time.perf_counter()
        try:
            async with self.session.post(
                f"{side.server.url}/v1/chat/completions", json=body, headers=headers
            ) as resp:
                if resp.status != 200:
                    detail = (await resp.text())[:120]
                    return Sample(
                        time.perf_counter() - start, error=f"HTTP {resp.status}: {detail}"
                    )
                if not stream:
                    reply = await resp.json()
                    content = reply["choices"][0]["message"]["content"]
                    if not content:
                        return Sample(time.perf_counter() - start, error="empty reply")
                    return Sample(
                        time.perf_counter() - start,
                        chunks=1,
                        words=len(content.split()),
                        text=content,
                    )
                return await self._read_stream(resp, start)
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
            return Sample(time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"[:120])

    async def _agentos_run(
        self, side: Side, stream: bool, user: str, session_id: str, text: str
    ) -> Sample:
        """``POST /agents/{id}/runs`` with form fields, as AgentOS's own UI sends a turn."""
        form = {
            "message": text,
            "stream": "true" if stream else "false",
            "session_id": session_id,
            "user_id": user,
        }
        start = time.perf_counter()
        try:
            async with self.session.post(
                f"{side.server.url}/agents/{side.model}/runs", data=form
            ) as resp:
                if resp.status != 200:
                    detail = (await resp.text())[:120]
                    return Sample(
                        time.perf_counter() - start, error=f"HTTP {resp.status}: {detail}"
                    )
                if not stream:
                    content = (await resp.json()).get("content")
                    if not content:
                        return Sample(time.perf_counter() - start, error="empty reply")
                    return Sample(
                        time.perf_counter() - start,
                        chunks=1,
                        words=len(content.split()),
                        text=content,
                    )
                return await self._read_agentos_stream(resp, start)
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
            return Sample(time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"[:120])

    @staticmethod
    async def _read_agentos_stream(resp: aiohttp.ClientResponse, start: float) -> Sample:
        """AgentOS's SSE: ``event: <RunEvent>`` and ``data: <json>`` per event; the reply is in
        ``RunContent`` events, and the stream ends with ``RunCompleted`` (no ``[DONE]``)."""
        ttft: float | None = None
        chunks = 0
        parts: list[str] = []
        completed = False
        async for raw in resp.content:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            event = json.loads(line[5:])
            kind = event.get("event")
            if kind == "RunError":
                return Sample(
                    time.perf_counter() - start, error=f"RunError: {event.get('content')}"
                )
            if kind == "RunContent" and isinstance(event.get("content"), str) and event["content"]:
                parts.append(event["content"])
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
            completed = completed or kind == "RunCompleted"
        if not completed or ttft is None:
            return Sample(time.perf_counter() - start, error="stream without content or end")
        return Sample(time.perf_counter() - start, ttft=ttft, chunks=chunks, text="".join(parts))

    @staticmethod
    async def _read_stream(resp: aiohttp.ClientResponse, start: float) -> Sample:
        ttft: float | None = None
        chunks = 0
        parts: list[str] = []
        async for raw in resp.content:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                if ttft is None:
                    return Sample(time.perf_counter() - start, error="stream without content")
                return Sample(
                    time.perf_counter() - start, ttft=ttft, chunks=chunks, text="".join(parts)
                )
            event = json.loads(data)
            if "error" in event:
                return Sample(time.perf_counter() - start, error=f"stream error: {event['error']}")
            choices = event.get("choices") or []
            if choices and (choices[0].get("delta") or {}).get("content"):
                parts.append(choices[0]["delta"]["content"])
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
        return Sample(time.perf_counter() - start, error="stream ended without [DONE]")

    async def lag(self, server: Server) -> dict[str, Any]:
        """agentllm's event-loop lag since the previous call (bench-only endpoint)."""
        async with self.session.get(f"{server.url}/bench/lag") as resp:
            resp.raise_for_status()
            return dict(await resp.json())


async def burst(
    count: int, concurrency: int, one: Callable[[int], Awaitable[Sample]]
) -> tuple[list[Sample], float]:
    """``count`` requests, at most ``concurrency`` in flight; returns samples and wall time."""
    samples: list[Sample] = []
    next_index = iter(range(count))

    async def worker() -> None:
        for index in next_index:
            samples.append(await one(index))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return samples, time.perf_counter() - start


async def for_seconds(
    seconds: float, concurrency: int, one: Callable[[int], Awaitable[Sample]]
) -> tuple[list[Sample], float]:
    """Keep ``concurrency`` requests in flight until ``seconds`` have passed (then drain)."""
    samples: list[Sample] = []
    counter = iter(range(10**9))
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        for index in counter:
            if time.perf_counter() >= deadline:
                return
            samples.append(await one(index))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - start


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def ratios(result: dict[str, Any], key: Callable[[dict[str, Any]], float]) -> dict[str, float]:
    """Each side's measure over the stock side's (``key`` picks the measure)."""
    floor = key(result[STOCK])
    others = [name for name in LABELS if name in result and name != STOCK]
    return {f"{name}/{STOCK}": ratio(key(result[name]), floor) for name in others}


@dataclass
class Report:
    sizes: Sizes
    meta: dict[str, Any]
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] | None = None  # --profile: py-spy's view of the agent's server


def rotated(sides: list[Side], number: int) -> list[Side]:
    """Round ``number``'s order: every side leads a round in turn."""
    k = number % len(sides)
    return sides[k:] + sides[:k]


async def rounds(
    load: Load, sides: list[Side], sizes: Sizes, stream: bool, tag: str
) -> dict[str, Any]:
    """The same load on every side in alternating rounds: a summary per side. Each side's
    requests go to ``CONVERSATIONS`` conversations that go on across the rounds, replies capped
    at ``REPLY_WORDS`` (the offline model's echo would otherwise grow with the history)."""
    samples: dict[str, list[Sample]] = {side.name: [] for side in sides}
    wall = dict.fromkeys(samples, 0.0)
    for number in range(max(1, sizes.per_side // sizes.round_size)):
        for side in rotated(sides, number):

            def one(i: int, side: Side = side) -> Awaitable[Sample]:
                n = i % CONVERSATIONS
                chat = f"{tag}-{side.name}-{n}"
                return load.chat(side, stream, f"user-{n}", chat, max_tokens=REPLY_WORDS)

            got, seconds = await burst(sizes.round_size, sizes.concurrency, one)
            samples[side.name] += got
            wall[side.name] += seconds
    return {name: summarize(samples[name], wall[name]) for name in samples}


async def compare(load: Load, sides: list[Side], sizes: Sizes, stream: bool, tag: str) -> dict:
    """Scenarios 1 and 2: the same load on every side in alternating rounds."""
    result: dict[str, Any] = await rounds(load, sides, sizes, stream, tag)
    samples = [side.name for side in sides]
    result["rps_ratio"] = ratios(result, lambda s: s["rps"])
    result["rps_ratio"][f"{AGENT}/{NATIVE}"] = ratio(result[AGENT]["rps"], result[NATIVE]["rps"])
    result["rps_ratio_target"] = {f"{k}/{STOCK}": v for k, v in TARGETS[stream].items()}
    if stream:
        result["ttft_p50_delta_ms"] = {
            name: round(result[name]["ttft_ms"]["p50"] - result[STOCK]["ttft_ms"]["p50"], 2)
            for name in samples
            if name != STOCK and result[name]["ttft_ms"]
        }
    result["pass"] = all(
        result["rps_ratio"][name] >= target for name, target in result["rps_ratio_target"].items()
    ) and all(result[name]["errors"] == 0 for name in samples)
    if AGENTOS in result:
        ours, peer = result[AGENT], result[AGENTOS]
        against = {"rps agent/agentos": ratio(ours["rps"], peer["rps"])}
        if stream and ours["ttft_ms"] and peer["ttft_ms"]:
            against["ttft_p50 agentos/agent"] = ratio(
                peer["ttft_ms"]["p50"], ours["ttft_ms"]["p50"]
            )
        result["agentos_ratio"] = against
        result["agentos_target"] = {k: AGENTOS_TARGETS[k] for k in against}
        result["agentos_pass"] = all(v >= AGENTOS_TARGETS[k] for k, v in against.items()) and (
            ours["errors"] == peer["errors"] == 0
        )
    return result


async def same_text(load: Load, ours: Side, peer: Side) -> dict[str, Any]:
    """The offline model's reply to one prompt through our server and through AgentOS, in both
    modes, on a new conversation each: the same words, or the comparison is not fair."""
    out: dict[str, Any] = {}
    for stream in (False, True):
        mode = "streaming" if stream else "non_streaming"
        texts = {}
        for side in (ours, peer):
            sample = await load.chat(
                side, stream, "same-text", f"same-text-{side.name}-{mode}", max_tokens=REPLY_WORDS
            )
            texts[side.name] = sample.text if sample.error is None else f"error: {sample.error}"
        out[mode] = texts | {"same": texts[ours.name].split() == texts[peer.name].split()}
    out["pass"] = all(out[mode]["same"] for mode in ("non_streaming", "streaming"))
    return out


async def conversation(load: Load, sides: list[Side], sizes: Sizes) -> dict[str, Any]:
    """Scenario 3: one conversation, turn after turn, only the newest message sent
    (``X-Session-Id``); the last ``turn_window`` turns against turns 2 to ``turn_window`` + 1
    (turn 1 creates the conversation).

    The offline model echoes every user message it is sent, so its reply would grow with the
    history (18 words at turn 1, ~100 from turn 11 on); ``max_tokens`` keeps every reply at the
    18 words of the other scenarios, so the ratio measures what the conversation's length costs.
    """
    out: dict[str, Any] = {}
    for side in sides:
        samples = []
        for turn in range(1, sizes.turns + 1):
            text = f"Turn {turn}: {PROMPT}"
            chat = f"long-{side.name}"
            samples.append(await load.chat(side, False, "user-long", chat, text, REPLY_WORDS))
        out[side.name] = growth(samples, sizes.turn_window, skip=1)
    out["latency_ratio"] = ratios(out, lambda s: s["all"]["latency_ms"]["mean"])
    out["window"] = sizes.turn_window
    out["target"] = 1.2
    out["pass"] = out[AGENT]["last_over_first"] <= 1.2 and out[AGENT]["errors"] == 0
    out["turn_pair"] = f"turn {sizes.turns} / turn {sizes.turn_window}"
    return out


def growth(samples: list[Sample], window: int, skip: int = 0) -> dict[str, Any]:
    """One conversation's turns (in order): the mean of the ``window`` turns after the first
    ``skip`` against the mean of the last ``window``."""
    early, late = samples[skip : skip + window], samples[-window:]
    first = [s.latency * 1000 for s in early]
    last = [s.latency * 1000 for s in late]
    return {
        "turns": len(samples),
        "errors": sum(s.error is not None for s in samples),
        "first_turns": [skip + 1, skip + len(early)],
        "last_turns": [len(samples) - len(late) + 1, len(samples)],
        "first_mean_ms": round(sum(first) / len(first), 2),
        "last_mean_ms": round(sum(last) / len(last), 2),
        "last_over_first": ratio(sum(last), sum(first)),
        "first_reply_words": round(sum(len(s.text.split()) for s in early) / len(early), 1),
        "last_reply_words": round(sum(len(s.text.split()) for s in late) / len(late), 1),
        "all": summarize(samples, sum(s.latency for s in samples)),
    }


async def history(load: Load, sides: list[Side], sizes: Sizes) -> dict[str, Any]:
    """Scenario 8: one conversation per side whose client sends the whole history every turn
    (Open WebUI's headers, non-streaming): how each side's cost grows with the history. Each
    side gets the same user messages and its own earlier replies back, as a client sends them;
    replies are capped at ``REPLY_WORDS``, so the histories are of one size on every side."""
    out: dict[str, Any] = {}
    for side in sides:
        chat_id = f"history-{side.name}"
        turns: list[dict[str, str]] = []
        samples = []
        for turn in range(1, sizes.history_turns + 1):
            text = f"Turn {turn}: {PROMPT}"
            sample = await load.chat(
                side, False, "history-user", chat_id, text, REPLY_WORDS, history=turns
            )
            samples.append(sample)
            turns += [
                {"role": "user", "content": text},
                {"role": "assistant", "content": sample.text or "(no reply)"},
            ]
        out[side.name] = growth(samples, sizes.turn_window, skip=1)
    out["growth_over_native"] = ratio(out[AGENT]["last_over_first"], out[NATIVE]["last_over_first"])
    out["target"] = 1.0
    out["pass"] = out["growth_over_native"] <= 1.0 and all(
        out[side.name]["errors"] == 0 for side in sides
    )
    return out


async def soak(load: Load, sides: list[Side], sizes: Sizes) -> dict[str, Any]:
    """Scenario 4: many concurrent streams for a while; errors and agentllm's event-loop lag."""

    async def streams(count: int, seconds: float, tag: str, sides: list[Side]) -> dict[str, Any]:
        out: dict[str, Any] = {"streams": count}
        for side in sides:
            watched = side.server.name == "agentllm"
            if watched:
                await load.lag(side.server)

            def one(i: int, side: Side = side) -> Awaitable[Sample]:
                return load.chat(side, True, f"user-{i % 64}", f"{tag}-{side.name}-{i}")

            samples, wall = await for_seconds(seconds, count, one)
            out[side.name] = summarize(samples, wall)
            if watched:
                out[side.name]["event_loop_lag"] = await load.lag(side.server)
        return out

    out = await streams(sizes.soak_streams, sizes.soak_seconds, "soak", sides)
    out["rps_ratio"] = ratios(out, lambda s: s["rps"])
    ours = [side for side in sides if side.server.name == "agentllm"]
    out["lag_by_concurrency"] = [
        await streams(count, sizes.floor_seconds, f"floor{count}", ours)
        for count in sizes.floor_streams
    ]
    agent = out[AGENT]
    out["lag_p99_target_ms"] = 20.0
    out["pass"] = agent["errors"] == 0 and agent["event_loop_lag"]["p99_ms"] <= 20.0
    return out


async def scaling(load: Load, sides: list[Side], sizes: Sizes) -> dict[str, Any]:
    """Scenario 6: the agent on PostgreSQL against SQLite (one process each), and one against
    two worker processes next to LiteLLM's own two workers (non-streaming, alternating rounds)."""
    out: dict[str, Any] = await rounds(load, sides, sizes, False, "scale")
    rps = {name: out[name]["rps"] for name in SCALE_LABELS}
    out["postgres_over_sqlite"] = ratio(rps["agent-pg-1w"], rps["agent-sqlite"])
    out["native_2w_over_1w"] = ratio(rps["stock-2w"], rps["stock-1w"])
    out["agent_2w_over_1w"] = ratio(rps["agent-pg-2w"], rps["agent-pg-1w"])
    out["scaling_vs_native"] = ratio(out["agent_2w_over_1w"], out["native_2w_over_1w"])
    out["scaling_target"] = 0.95
    out["pass"] = out["scaling_vs_native"] >= 0.95 and all(
        out[name]["errors"] == 0 for name in SCALE_LABELS
    )
    return out


async def chats(load: Load, sides: list[Side], sizes: Sizes) -> dict[str, Any]:
    """Scenario 7: Open WebUI's load: ``sizes.chats`` chats going on at once, each sending its
    whole history every turn (streaming, Open WebUI's headers), replies of one size on every side.
    Each side runs the chats twice, in alternating order."""
    samples: dict[str, list[Sample]] = {side.name: [] for side in sides}
    wall = dict.fromkeys(samples, 0.0)

    async def one_chat(side: Side, chat_id: str) -> list[Sample]:
        history: list[dict[str, str]] = []
        done = []
        for turn in range(1, sizes.chat_turns + 1):
            text = f"Turn {turn}: {PROMPT}"
            sample = await load.chat(
                side, True, f"owui-{chat_id}", chat_id, text, REPLY_WORDS, history=history
            )
            done.append(sample)
            history += [
                {"role": "user", "content": text},
                {"role": "assistant", "content": sample.text or "(no reply)"},
            ]
        return done

    for number, order in enumerate((sides, sides[::-1])):
        for side in order:
            start = time.perf_counter()
            results = await asyncio.gather(
                *(one_chat(side, f"owui-{side.name}-{number}-{c}") for c in range(sizes.chats))
            )
            wall[side.name] += time.perf_counter() - start
            samples[side.name] += [sample for chat in results for sample in chat]
    out: dict[str, Any] = {name: summarize(samples[name], wall[name]) for name in samples}
    for name, got in samples.items():
        words = [len(s.text.split()) for s in got if s.error is None]
        out[name]["reply_words_mean"] = round(sum(words) / len(words), 1) if words else 0.0
    out["rps_ratio"] = ratios(out, lambda s: s["rps"])
    out["chats"], out["turns"] = sizes.chats, sizes.chat_turns
    out["pass"] = all(out[name]["errors"] == 0 for name in samples)
    return out


async def memory(load: Load, side: Side, sizes: Sizes) -> dict[str, Any]:
    """Scenario 5: many requests over many users and conversations; the proxy's RSS over time."""
    users = sizes.memory_users
    step = max(1, sizes.memory_requests // 20)
    pid = side.server.pid
    series: list[tuple[int, int]] = [(0, rss_bytes(pid))]
    samples: list[Sample] = []
    wall = 0.0
    for offset in range(0, sizes.memory_requests, step):
        count = min(step, sizes.memory_requests - offset)

        def one(i: int, offset: int = offset) -> Awaitable[Sample]:
            n = offset + i
            c = n % users
            return load.chat(side, n % 4 == 3, f"mem-user-{c}", f"mem-chat-{c}", f"Turn {n}: hi")

        got, seconds = await burst(count, sizes.concurrency, one)
        samples += got
        wall += seconds
        series.append((offset + count, rss_bytes(pid)))
    mb = 1024 * 1024
    start, end = series[0][1], series[-1][1]
    middle = min(series, key=lambda point: abs(point[0] - sizes.memory_requests // 2))[1]
    growth, second_half = (end - start) / mb, (end - middle) / mb
    return {
        AGENT: summarize(samples, wall),
        "users": users,
        "rss_mb": [[n, round(b / mb, 1)] for n, b in series],
        "rss_growth_mb": round(growth, 1),
        "rss_growth_second_half_mb": round(second_half, 1),
        "target_growth_mb": 50.0,
        "target_second_half_mb": 10.0,
        "pass": growth <= 50
        and second_half <= 10
        and samples
        and all(s.error is None for s in samples),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("litellm", "agno", "aiohttp", "uvicorn", "sqlalchemy", "opentelemetry-sdk"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit,
    }


async def profiled(load: Load, side: Side, sizes: Sizes, output: Path) -> dict[str, Any]:
    """py-spy records the agent's server during ``sizes.profile_seconds`` of non-streaming load
    on ``side`` (same conversations and cap as scenario 1); the raw stacks go to ``output``."""
    recorder = profile.start_record(side.server.pid, sizes.profile_seconds, output)

    def one(i: int) -> Awaitable[Sample]:
        n = i % CONVERSATIONS
        return load.chat(side, False, f"user-{n}", f"profile-{n}", max_tokens=REPLY_WORDS)

    samples, wall = await for_seconds(sizes.profile_seconds, sizes.concurrency, one)
    code, said = await asyncio.to_thread(
        profile.finish_record, recorder, sizes.profile_seconds + 60
    )
    out: dict[str, Any] = {
        "seconds": sizes.profile_seconds,
        "concurrency": sizes.concurrency,
        "load": summarize(samples, wall),
        "raw": str(output.relative_to(ROOT) if output.is_relative_to(ROOT) else output),
    }
    if code != 0 or not output.exists():
        out["error"] = f"py-spy exited with {code}: {said.strip()[-2000:]}"
    else:
        out["summary"] = profile.summarize_raw(output.read_text())
        out["raw"] = out["raw"] + ".gz"  # a few MB of text; gunzip for speedscope or flamegraph.pl
        profile.compress(output)
    return out


async def run(
    sizes: Sizes,
    scenarios: list[str],
    meta: dict[str, Any],
    baseline: Path | None = None,
    profile_to: Path | None = None,
) -> Report:
    report = Report(sizes=sizes, meta=meta)
    with tempfile.TemporaryDirectory(prefix="agentllm-bench-") as tmp, ExitStack() as servers:
        work = Path(tmp)
        stock = servers.enter_context(running_stock(work))
        ours = servers.enter_context(running_agentllm(work))
        sides = {
            STOCK: Side(STOCK, stock, NATIVE_MODEL),
            CUSTOM: Side(CUSTOM, stock, CUSTOM_MODEL),
            NATIVE: Side(NATIVE, ours, NATIVE_MODEL),
            AGENT: Side(AGENT, ours, AGENT_MODEL),
        }
        if baseline is not None:
            other = servers.enter_context(running_agentllm(work, "baseline", source=baseline))
            sides[BASELINE] = Side(BASELINE, other, AGENT_MODEL)
        peer = None
        if {"non_streaming", "streaming"} & set(scenarios):
            peer = servers.enter_context(running_agentos(work))
            sides[AGENTOS] = Side(AGENTOS, peer, AGENTOS_AGENT, api="agentos")
        everyone = list(sides.values())
        remembering = [sides[STOCK], sides[NATIVE], sides[AGENT]]
        scale: list[Side] = []
        if "scaling" in scenarios:
            from tests.integration.postgres import running_cluster

            url = servers.enter_context(running_cluster()).url
            stock_2w = servers.enter_context(running_stock(work, "stock-2w", workers=2))
            pg_1w = servers.enter_context(running_agentllm(work, "pg-1w", url))
            pg_2w = servers.enter_context(running_agentllm(work, "pg-2w", url, workers=2))
            scale = [
                Side("stock-1w", stock, NATIVE_MODEL),
                Side("stock-2w", stock_2w, NATIVE_MODEL),
                Side("agent-sqlite", ours, AGENT_MODEL),
                Side("agent-pg-1w", pg_1w, AGENT_MODEL),
                Side("agent-pg-2w", pg_2w, AGENT_MODEL),
            ]
        timeout = aiohttp.ClientTimeout(total=120)
        connector = aiohttp.TCPConnector(limit=max(sizes.concurrency, sizes.soak_streams))
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            load = Load(session)
            for side in (sides[STOCK], sides[NATIVE], *scale, *([sides[AGENTOS]] if peer else [])):
                await load.ready(side)
            for stream in (False, True):
                for side in [*everyone, *scale[1:]]:

                    def one(i: int, side: Side = side, s: bool = stream) -> Awaitable[Sample]:
                        return load.chat(side, s, "warmup", f"warmup-{side.name}-{s}-{i}")

                    await burst(sizes.warmup, sizes.concurrency, one)
            await load.lag(ours)
            if peer is not None:
                report.meta["same_text"] = await same_text(load, sides[AGENT], sides[AGENTOS])
            rss_start = {server.name: rss_bytes(server.pid) for server in (stock, ours)}
            steps: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
                "non_streaming": lambda: compare(load, everyone, sizes, False, "ns"),
                "streaming": lambda: compare(load, everyone, sizes, True, "st"),
                "conversation": lambda: conversation(load, remembering, sizes),
                "soak": lambda: soak(load, remembering, sizes),
                "memory": lambda: memory(load, sides[AGENT], sizes),
                "scaling": lambda: scaling(load, scale, sizes),
                "chats": lambda: chats(load, remembering, sizes),
                "history": lambda: history(load, remembering, sizes),
            }
            for name in scenarios:
                began = time.perf_counter()
                print(f"bench: {name} ...", file=sys.stderr, flush=True)
                result = await steps[name]()
                result["scenario_seconds"] = round(time.perf_counter() - began, 1)
                report.scenarios[name] = result
                print(f"bench: {name} done in {result['scenario_seconds']} s", file=sys.stderr)
            if profile_to is not None:
                print("bench: profile ...", file=sys.stderr, flush=True)
                report.profile = await profiled(load, sides[AGENT], sizes, profile_to)
            report.meta["rss_mb"] = {
                server.name: {
                    "after_warmup": round(rss_start[server.name] / 2**20, 1),
                    "end": round(rss_bytes(server.pid) / 2**20, 1),
                }
                for server in (stock, ours)
            }
    return report


# --- reporting ---------------------------------------------------------------------------------


def _side_row(name: str, s: dict[str, Any], labels: dict[str, str] = LABELS) -> str:
    ttft = s.get("ttft_ms")
    ttft_text = f"{ttft['p50']} / {ttft['p95']} / {ttft['p99']}" if ttft else "—"
    lat = s["latency_ms"]
    return (
        f"| {labels[name]} | {s['requests']} | {s['errors']} | {s['rps']} | "
        f"{lat['p50']} / {lat['p95']} / {lat['p99']} | {ttft_text} | {s['chunks_mean']} |"
    )


TABLE_HEAD = (
    "| side | requests | errors | req/s | latency p50 / p95 / p99 (ms) | TTFT p50 / p95 / p99 (ms) "
    "| content chunks |\n|---|---|---|---|---|---|---|"
)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _ratio_line(values: dict[str, float], targets: dict[str, float] | None = None) -> str:
    parts = []
    for name, value in values.items():
        target = (targets or {}).get(name)
        parts.append(f"{name} = **{value}**" + (f" (goal >= {target})" if target else ""))
    return "; ".join(parts)


def markdown(report: Report, command: str) -> str:
    """The generated results block of docs/BENCHMARKS.md."""
    m = report.meta
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        f"Run {m['date']} at commit `{m['commit']}` with `{command}`.",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['platform']}, Python {m['python']}; "
        f"{versions}. PYTHONDONTWRITEBYTECODE={m['dont_write_bytecode'] or 'unset'} in the "
        "servers' environment.",
        "",
        "Ratios are req/s of a side over req/s of `native-mock` on the stock litellm CLI "
        "(`stock`), measured in the same rounds. In scenarios 1-2 each side's requests go to "
        f"{CONVERSATIONS} ongoing conversations, replies capped at {REPLY_WORDS} words "
        "(`max_tokens`; AgentOS's agent is built with that cap).",
        "",
    ]
    same = m.get("same_text")
    if same:
        lines += [
            "Same text delivered (one new conversation per mode, agent vs AgentOS): "
            + ", ".join(
                f"{mode.replace('_', '-')} {'same words' if same[mode]['same'] else 'DIFFERENT'}"
                for mode in ("non_streaming", "streaming")
            )
            + f" (`{same['non_streaming'][AGENT]!r}`).",
            "",
        ]
    sc = report.scenarios
    titles = {"non_streaming": "1. Non-streaming", "streaming": "2. Streaming"}
    for key in ("non_streaming", "streaming"):
        if key not in sc:
            continue
        r = sc[key]
        lines += [
            f"### {titles[key]}, concurrency {report.sizes.concurrency}, "
            f"{r[AGENT]['requests']} requests per side",
            "",
            TABLE_HEAD,
            *(_side_row(name, r[name]) for name in LABELS if name in r),
            "",
            _ratio_line(r["rps_ratio"], r["rps_ratio_target"]) + f": {verdict(r['pass'])}",
            "",
        ]
        if "ttft_p50_delta_ms" in r:
            deltas = ", ".join(f"{k} {v:+.1f} ms" for k, v in r["ttft_p50_delta_ms"].items())
            lines += [f"TTFT p50 minus stock's: {deltas}.", ""]
        if "agentos_ratio" in r:
            lines += [
                "Against Agno's AgentOS: "
                + _ratio_line(r["agentos_ratio"], r["agentos_target"])
                + f": {verdict(r['agentos_pass'])}",
                "",
            ]
    if "conversation" in sc:
        r = sc["conversation"]
        a = r[AGENT]
        n = a["turns"]
        (f1, f2), (l1, l2) = a["first_turns"], a["last_turns"]
        lines += [
            f"### 3. One conversation, {n} turns in sequence, newest message only (`X-Session-Id`)",
            "",
            f"| side | errors | mean turns {f1}-{f2} (ms) | mean turns {l1}-{l2} (ms) | ratio "
            "| mean, all turns (ms) | reply words, first / last turns |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in LABELS:
            if name not in r:
                continue
            s = r[name]
            lines.append(
                f"| {LABELS[name]} | {s['errors']} | {s['first_mean_ms']} | {s['last_mean_ms']} "
                f"| {s['last_over_first']} | {s['all']['latency_ms']['mean']} "
                f"| {s['first_reply_words']} / {s['last_reply_words']} |"
            )
        lines += [
            "",
            "Mean latency over stock's: " + _ratio_line(r["latency_ratio"]) + ".",
            "",
            f"agent's ratio of late to early turns ({r['turn_pair']}), target <= {r['target']}: "
            f"{verdict(r['pass'])}",
            "",
        ]
    if "soak" in sc:
        r = sc["soak"]
        lines += [
            f"### 4. {r['streams']} concurrent streams for {report.sizes.soak_seconds:g} s",
            "",
            "| side | requests | errors | req/s | latency p50 / p95 / p99 (ms) "
            "| loop lag p50 / p95 / p99 / max (ms) |",
            "|---|---|---|---|---|---|",
        ]
        for name in LABELS:
            if name not in r:
                continue
            s = r[name]
            lat, lag = s["latency_ms"], s.get("event_loop_lag")
            lag_text = (
                f"{lag['p50_ms']:.1f} / {lag['p95_ms']:.1f} / {lag['p99_ms']:.1f} / "
                f"{lag['max_ms']:.1f}"
                if lag
                else "— (not instrumented)"
            )
            lines.append(
                f"| {LABELS[name]} | {s['requests']} | {s['errors']} | {s['rps']} | "
                f"{lat['p50']} / {lat['p95']} / {lat['p99']} | {lag_text} |"
            )
        lines += [
            "",
            _ratio_line(r["rps_ratio"]) + ".",
            "",
            f"agent: 0 errors and lag p99 <= {r['lag_p99_target_ms']:g} ms: {verdict(r['pass'])}",
            "",
            f"agentllm's loop lag by concurrency ({report.sizes.floor_seconds:g} s each), "
            "LiteLLM's own floor on the native side:",
            "",
            "| streams | req/s native / agent | errors | loop lag p50 native / agent (ms) "
            "| loop lag p99 native / agent (ms) |",
            "|---|---|---|---|---|",
        ]
        for level in [*r.get("lag_by_concurrency", []), r]:
            n, a = level[NATIVE], level[AGENT]
            nl, al = n["event_loop_lag"], a["event_loop_lag"]
            lines.append(
                f"| {level['streams']} | {n['rps']} / {a['rps']} | "
                f"{n['errors'] + a['errors']} | {nl['p50_ms']:.1f} / {al['p50_ms']:.1f} | "
                f"{nl['p99_ms']:.1f} / {al['p99_ms']:.1f} |"
            )
        lines.append("")
    if "memory" in sc:
        r = sc["memory"]
        a = r[AGENT]
        series = ", ".join(f"{n}: {mb}" for n, mb in r["rss_mb"])
        lines += [
            f"### 5. {a['requests']} requests over {r['users']} users and conversations (agent)",
            "",
            f"{a['errors']} errors, {a['rps']} req/s (one in four streaming). Proxy RSS grew "
            f"**{r['rss_growth_mb']} MB** (target <= {r['target_growth_mb']:g}), "
            f"**{r['rss_growth_second_half_mb']} MB** over the second half (flat: <= "
            f"{r['target_second_half_mb']:g}): {verdict(r['pass'])}",
            "",
            f"RSS (MB) after n requests: {series}",
            "",
        ]
    if "scaling" in sc:
        r = sc["scaling"]
        lines += [
            f"### 6. Workers and databases, non-streaming, concurrency {report.sizes.concurrency}",
            "",
            TABLE_HEAD,
            *(_side_row(name, r[name], SCALE_LABELS) for name in SCALE_LABELS),
            "",
            f"PostgreSQL / SQLite (agent, 1 worker) = **{r['postgres_over_sqlite']}**. "
            f"2 workers / 1 worker: LiteLLM native **{r['native_2w_over_1w']}**, agent "
            f"**{r['agent_2w_over_1w']}**; agent's scaling / native's = "
            f"**{r['scaling_vs_native']}** (goal >= {r['scaling_target']}): "
            f"{verdict(r['pass'])}",
            "",
        ]
    if "chats" in sc:
        r = sc["chats"]
        lines += [
            f"### 7. {r['chats']} Open WebUI-style chats at once, {r['turns']} turns each "
            "(whole history every turn, streaming)",
            "",
            TABLE_HEAD.replace("| content chunks |", "| content chunks | reply words |").replace(
                "|---|---|---|---|---|---|---|", "|---|---|---|---|---|---|---|---|"
            ),
            *(
                _side_row(name, r[name]) + f" {r[name]['reply_words_mean']} |"
                for name in LABELS
                if name in r
            ),
            "",
            _ratio_line(r["rps_ratio"]) + ".",
            "",
        ]
    if "history" in sc:
        r = sc["history"]
        a = r[AGENT]
        (f1, f2), (l1, l2) = a["first_turns"], a["last_turns"]
        lines += [
            f"### 8. One conversation, {a['turns']} turns, the whole history sent every turn "
            "(non-streaming)",
            "",
            f"| side | errors | mean turns {f1}-{f2} (ms) | mean turns {l1}-{l2} (ms) "
            "| growth (last / first) | reply words, first / last turns |",
            "|---|---|---|---|---|---|",
        ]
        for name in LABELS:
            if name in r:
                s = r[name]
                lines.append(
                    f"| {LABELS[name]} | {s['errors']} | {s['first_mean_ms']} "
                    f"| {s['last_mean_ms']} | {s['last_over_first']} "
                    f"| {s['first_reply_words']} / {s['last_reply_words']} |"
                )
        lines += [
            "",
            f"agent's growth / LiteLLM native's growth (same server) = "
            f"**{r['growth_over_native']}** (goal <= {r['target']}): {verdict(r['pass'])}",
            "",
        ]
    if report.profile is not None:
        lines += ["### Profile of the agent path", "", *profile.markdown(report.profile)]
    rss = m.get("rss_mb", {})
    if rss:
        lines.append(
            "Server RSS (MB) after warm-up -> end: "
            + ", ".join(f"{k} {v['after_warmup']} -> {v['end']}" for k, v in rss.items())
            + "."
        )
    return "\n".join(lines)


def write_markdown(path: Path, block: str) -> None:
    """Replace the generated block of ``path`` (created with a heading if missing)."""
    text = path.read_text() if path.exists() else ""
    if MARK_START not in text or MARK_END not in text:
        text = (text or "# Benchmarks\n") + f"\n{MARK_START}\n{MARK_END}\n"
    head, rest = text.split(MARK_START, 1)
    tail = rest.split(MARK_END, 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{MARK_START}\n{block}\n{MARK_END}{tail}")


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so every server and database the run started is stopped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few requests per scenario")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument(
        "--scenarios",
        default="non_streaming,streaming,conversation,soak,memory,scaling,chats,history",
        help="comma-separated subset (default: all; '' for none, e.g. with --profile)",
    )
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="override one of the sizes (see Sizes), e.g. --size turns=200; repeatable",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the scenarios, py-spy records the agentllm server under non-streaming load",
    )
    parser.add_argument(
        "--profile-dir",
        type=Path,
        default=ROOT / "benchmarks" / "results",
        help="where --profile writes py-spy's raw stacks",
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="another checkout's src/ folder: its agent is served beside this one (scenarios 1-2)",
    )
    args = parser.parse_args(argv)
    command = "python -m benchmarks.run" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
    )
    command = command.strip()
    sizes = SMOKE if args.smoke else FULL
    for setting in args.size:
        name, _, value = setting.partition("=")
        current = getattr(sizes, name.strip(), None)
        if not isinstance(current, int | float) or not value:
            parser.error(
                f"--size {setting!r}: expected NAME=NUMBER with NAME one of Sizes' numbers"
            )
        sizes = replace(sizes, **{name.strip(): type(current)(value)})
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    meta = machine() | {"command": command, "smoke": args.smoke}
    meta["dont_write_bytecode"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    profile_to = None
    if args.profile:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
        profile_to = args.profile_dir / f"{stamp}-profile{'-smoke' if args.smoke else ''}.txt"
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    report = asyncio.run(run(sizes, scenarios, meta, args.baseline_src, profile_to))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "meta": report.meta,
                "sizes": asdict(report.sizes),
                "scenarios": report.scenarios,
                "profile": report.profile,
            },
            indent=2,
        )
        + "\n"
    )
    block = markdown(report, command)
    write_markdown(args.markdown, block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())

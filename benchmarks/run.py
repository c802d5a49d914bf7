"""Benchmark the agent path against LiteLLM's own floor on one real proxy (``make bench``).

One proxy process serves ``native-mock`` (LiteLLM's ``mock_response``) and
``agno/release-manager`` (offline model, SQLite store, a conversation id per request). Both are
driven by the same async load generator in alternating rounds. Results go to a JSON file and to
the generated block of ``docs/BENCHMARKS.md``; the rest of that page is kept as written.

    python -m benchmarks.run            # full run (about 8 minutes on 2 cores)
    python -m benchmarks.run --smoke    # a few requests per scenario: checks the harness only
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
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "benchmarks" / "bench_config.yaml"
KEY = "sk-bench-master-key-0001"
NATIVE = "native-mock"
AGENT = "agno/release-manager"
# The offline model answers "echo: <prompt>\ncontext: <prompt>", one word per chunk: 18 chunks,
# as many as the 54-character mock reply in bench_config.yaml at 3 characters per chunk.
PROMPT = "Plan the release of version two point zero"
REPLY_WORDS = 18
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"


@dataclass(frozen=True)
class Sizes:
    """How much load each scenario applies."""

    per_side: int = 400
    round_size: int = 100
    concurrency: int = 16
    turns: int = 200
    turn_window: int = 10
    soak_seconds: float = 30.0
    soak_streams: int = 64
    # Scenario 4's lag measured at lower concurrency too, on both sides: LiteLLM's own floor.
    floor_streams: tuple[int, ...] = (1, 4, 16)
    floor_seconds: float = 8.0
    memory_requests: int = 10_000
    memory_users: int = 1_000
    warmup: int = 32


FULL = Sizes()
SMOKE = Sizes(
    per_side=8,
    round_size=4,
    concurrency=4,
    turns=6,
    turn_window=2,
    soak_seconds=1.5,
    soak_streams=4,
    floor_streams=(1, 2),
    floor_seconds=1.0,
    memory_requests=40,
    memory_users=10,
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
class Proxy:
    url: str
    pid: int
    log_path: Path


@contextmanager
def running_proxy(
    workdir: Path, startup_timeout: float = 120, write_bytecode: bool = True
) -> Iterator[Proxy]:
    """The real ``agentllm`` server on a loopback port, offline model, SQLite in ``workdir``."""
    port = free_port()
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "AGENTLLM_MODEL": "echo",
        "AGENTLLM_DB_URL": f"sqlite:///{workdir / 'sessions.db'}",
        "LITELLM_MASTER_KEY": KEY,
        "AGENTLLM_BENCH": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("GEMINI_API_KEY", None)
    # Measure as installed: with PYTHONDONTWRITEBYTECODE (set in some sandboxes) LiteLLM recompiles
    # a module on every request (its auth retries an import that fails without OpenTelemetry).
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    log_path = workdir / "proxy.log"
    command = [sys.executable, "-m", "agentllm.server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--config", str(CONFIG), "--runtime-config", str(workdir / "runtime.yaml")]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"proxy exited with {process.returncode}:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"proxy not healthy after {startup_timeout} s")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        yield Proxy(url=url, pid=process.pid, log_path=log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Load:
    """The load generator: one aiohttp session, the same request shape for both models."""

    def __init__(self, proxy: Proxy, session: aiohttp.ClientSession) -> None:
        self.proxy = proxy
        self.session = session
        self.headers = {"Authorization": f"Bearer {KEY}"}

    async def ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                sample = await self.chat(NATIVE, False, "warmup", "warmup-0")
                if sample.error is None:
                    return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("proxy did not answer a chat request")
            await asyncio.sleep(0.5)

    async def chat(
        self,
        model: str,
        stream: bool,
        user: str,
        chat_id: str,
        text: str = PROMPT,
        max_tokens: int | None = None,
    ) -> Sample:
        """One chat request; a conversation id in ``X-Session-Id`` and the user in the body."""
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": text}],
            "stream": stream,
            "user": user,
        }
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        headers = {**self.headers, "X-Session-Id": chat_id}
        start = time.perf_counter()
        try:
            async with self.session.post(
                f"{self.proxy.url}/v1/chat/completions", json=body, headers=headers
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
                    return Sample(time.perf_counter() - start, chunks=1, words=len(content.split()))
                return await self._read_stream(resp, start)
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
            return Sample(time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"[:120])

    @staticmethod
    async def _read_stream(resp: aiohttp.ClientResponse, start: float) -> Sample:
        ttft: float | None = None
        chunks = 0
        async for raw in resp.content:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                if ttft is None:
                    return Sample(time.perf_counter() - start, error="stream without content")
                return Sample(time.perf_counter() - start, ttft=ttft, chunks=chunks)
            event = json.loads(data)
            if "error" in event:
                return Sample(time.perf_counter() - start, error=f"stream error: {event['error']}")
            choices = event.get("choices") or []
            if choices and (choices[0].get("delta") or {}).get("content"):
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
        return Sample(time.perf_counter() - start, error="stream ended without [DONE]")

    async def lag(self) -> dict[str, Any]:
        """The proxy's event-loop lag since the previous call (bench-only endpoint)."""
        async with self.session.get(f"{self.proxy.url}/bench/lag") as resp:
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


@dataclass
class Report:
    sizes: Sizes
    meta: dict[str, Any]
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)


async def compare(load: Load, sizes: Sizes, stream: bool, tag: str) -> dict[str, Any]:
    """Scenarios 1 and 2: the same load on both models in alternating rounds."""
    samples: dict[str, list[Sample]] = {NATIVE: [], AGENT: []}
    wall = {NATIVE: 0.0, AGENT: 0.0}
    rounds = max(1, sizes.per_side // sizes.round_size)
    for number in range(rounds):
        order = (NATIVE, AGENT) if number % 2 == 0 else (AGENT, NATIVE)
        for model in order:

            def one(i: int, model: str = model, number: int = number) -> Awaitable[Sample]:
                side = "native" if model == NATIVE else "agent"
                return load.chat(model, stream, f"user-{i % 16}", f"{tag}-{side}-{number}-{i}")

            got, seconds = await burst(sizes.round_size, sizes.concurrency, one)
            samples[model] += got
            wall[model] += seconds
    native, agent = summarize(samples[NATIVE], wall[NATIVE]), summarize(samples[AGENT], wall[AGENT])
    result = {
        "native": native,
        "agent": agent,
        "rps_ratio": ratio(agent["rps"], native["rps"]),
        "rps_ratio_target": 0.85 if stream else 0.90,
    }
    if stream:
        result["ttft_p50_delta_ms"] = round(agent["ttft_ms"]["p50"] - native["ttft_ms"]["p50"], 2)
        result["ttft_p50_delta_target_ms"] = 5.0
    result["pass"] = result["rps_ratio"] >= result["rps_ratio_target"] and (
        not stream or result["ttft_p50_delta_ms"] <= 5.0
    )
    result["pass"] = result["pass"] and native["errors"] == 0 and agent["errors"] == 0
    return result


async def conversation(load: Load, sizes: Sizes) -> dict[str, Any]:
    """Scenario 3: one conversation, turn after turn; late turns against early ones.

    The offline model echoes every user message it is sent, so its reply would grow with the
    history (18 words at turn 1, ~100 from turn 11 on); ``max_tokens`` keeps every reply at the
    18 words of the other scenarios, so the ratio measures what the conversation's length costs.
    """
    out: dict[str, Any] = {}
    for model, side in ((NATIVE, "native"), (AGENT, "agent")):
        samples = []
        for turn in range(1, sizes.turns + 1):
            text = f"Turn {turn}: {PROMPT}"
            samples.append(
                await load.chat(model, False, "user-long", f"long-{side}", text, REPLY_WORDS)
            )
        w = sizes.turn_window
        first = [s.latency * 1000 for s in samples[:w]]
        last = [s.latency * 1000 for s in samples[-w:]]
        out[side] = {
            "turns": len(samples),
            "errors": sum(s.error is not None for s in samples),
            "first_mean_ms": round(sum(first) / len(first), 2),
            "last_mean_ms": round(sum(last) / len(last), 2),
            "last_over_first": ratio(sum(last), sum(first)),
            "first_reply_words": round(sum(s.words for s in samples[:w]) / w, 1),
            "last_reply_words": round(sum(s.words for s in samples[-w:]) / w, 1),
            "all": summarize(samples, sum(s.latency for s in samples)),
        }
    out["window"] = sizes.turn_window
    out["target"] = 1.2
    out["pass"] = out["agent"]["last_over_first"] <= 1.2 and out["agent"]["errors"] == 0
    return out


async def soak(load: Load, sizes: Sizes) -> dict[str, Any]:
    """Scenario 4: many concurrent streams for a while; errors and the proxy's event-loop lag."""

    async def streams(count: int, seconds: float, tag: str) -> dict[str, Any]:
        out: dict[str, Any] = {"streams": count}
        for model, side in ((NATIVE, "native"), (AGENT, "agent")):
            await load.lag()

            def one(i: int, model: str = model, side: str = side) -> Awaitable[Sample]:
                return load.chat(model, True, f"user-{i % 64}", f"{tag}-{side}-{i}")

            samples, wall = await for_seconds(seconds, count, one)
            out[side] = summarize(samples, wall) | {"event_loop_lag": await load.lag()}
        return out

    out = await streams(sizes.soak_streams, sizes.soak_seconds, "soak")
    out["lag_by_concurrency"] = [
        await streams(count, sizes.floor_seconds, f"floor{count}") for count in sizes.floor_streams
    ]
    agent = out["agent"]
    out["lag_p99_target_ms"] = 20.0
    out["pass"] = agent["errors"] == 0 and agent["event_loop_lag"]["p99_ms"] <= 20.0
    return out


async def memory(load: Load, sizes: Sizes, pid: int) -> dict[str, Any]:
    """Scenario 5: many requests over many users and conversations; the proxy's RSS over time."""
    users = sizes.memory_users
    step = max(1, sizes.memory_requests // 20)
    series: list[tuple[int, int]] = [(0, rss_bytes(pid))]
    samples: list[Sample] = []
    wall = 0.0
    for offset in range(0, sizes.memory_requests, step):
        count = min(step, sizes.memory_requests - offset)

        def one(i: int, offset: int = offset) -> Awaitable[Sample]:
            n = offset + i
            c = n % users
            return load.chat(AGENT, n % 4 == 3, f"mem-user-{c}", f"mem-chat-{c}", f"Turn {n}: hi")

        got, seconds = await burst(count, sizes.concurrency, one)
        samples += got
        wall += seconds
        series.append((offset + count, rss_bytes(pid)))
    mb = 1024 * 1024
    start, end = series[0][1], series[-1][1]
    middle = min(series, key=lambda point: abs(point[0] - sizes.memory_requests // 2))[1]
    growth, second_half = (end - start) / mb, (end - middle) / mb
    return {
        "agent": summarize(samples, wall),
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
    for package in ("litellm", "agno", "aiohttp", "uvicorn", "sqlalchemy"):
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


async def run(
    sizes: Sizes, scenarios: list[str], meta: dict[str, Any], write_bytecode: bool = True
) -> Report:
    report = Report(sizes=sizes, meta=meta)
    with (
        tempfile.TemporaryDirectory(prefix="agentllm-bench-") as tmp,
        running_proxy(Path(tmp), write_bytecode=write_bytecode) as proxy,
    ):
        timeout = aiohttp.ClientTimeout(total=120)
        connector = aiohttp.TCPConnector(limit=max(sizes.concurrency, sizes.soak_streams))
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            load = Load(proxy, session)
            await load.ready()
            for stream in (False, True):
                for model in (NATIVE, AGENT):

                    def one(i: int, m: str = model, s: bool = stream) -> Awaitable[Sample]:
                        return load.chat(m, s, "warmup", f"warmup-{m}-{s}-{i}")

                    await burst(sizes.warmup, sizes.concurrency, one)
            await load.lag()
            rss_start = rss_bytes(proxy.pid)
            steps: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
                "non_streaming": lambda: compare(load, sizes, False, "ns"),
                "streaming": lambda: compare(load, sizes, True, "st"),
                "conversation": lambda: conversation(load, sizes),
                "soak": lambda: soak(load, sizes),
                "memory": lambda: memory(load, sizes, proxy.pid),
            }
            for name in scenarios:
                began = time.perf_counter()
                print(f"bench: {name} ...", file=sys.stderr, flush=True)
                result = await steps[name]()
                result["scenario_seconds"] = round(time.perf_counter() - began, 1)
                report.scenarios[name] = result
                print(f"bench: {name} done in {result['scenario_seconds']} s", file=sys.stderr)
            report.meta["proxy_rss_mb"] = {
                "after_warmup": round(rss_start / 2**20, 1),
                "end": round(rss_bytes(proxy.pid) / 2**20, 1),
            }
    return report


# --- reporting ---------------------------------------------------------------------------------


def _side_row(name: str, s: dict[str, Any]) -> str:
    ttft = s.get("ttft_ms")
    ttft_text = f"{ttft['p50']} / {ttft['p95']} / {ttft['p99']}" if ttft else "—"
    lat = s["latency_ms"]
    return (
        f"| {name} | {s['requests']} | {s['errors']} | {s['rps']} | "
        f"{lat['p50']} / {lat['p95']} / {lat['p99']} | {ttft_text} | {s['chunks_mean']} |"
    )


TABLE_HEAD = (
    "| side | requests | errors | req/s | latency p50 / p95 / p99 (ms) | TTFT p50 / p95 / p99 (ms) "
    "| content chunks |\n|---|---|---|---|---|---|---|"
)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def markdown(report: Report, command: str) -> str:
    """The generated results block of docs/BENCHMARKS.md."""
    m = report.meta
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        f"Run {m['date']} at commit `{m['commit']}` with `{command}`.",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['platform']}, Python {m['python']}; "
        f"{versions}.",
        "",
    ]
    if not m.get("proxy_writes_bytecode", True):
        lines[-1:-1] = ["Proxy run with PYTHONDONTWRITEBYTECODE=1 (the sandbox's slower floor)."]
    sc = report.scenarios
    titles = {
        "non_streaming": "1. Non-streaming",
        "streaming": "2. Streaming",
    }
    for key in ("non_streaming", "streaming"):
        if key not in sc:
            continue
        r = sc[key]
        lines += [
            f"### {titles[key]}, concurrency {report.sizes.concurrency}, "
            f"{r['agent']['requests']} requests per side",
            "",
            TABLE_HEAD,
            _side_row(NATIVE, r["native"]),
            _side_row(AGENT, r["agent"]),
            "",
            f"agent / native req/s = **{r['rps_ratio']}** (target >= {r['rps_ratio_target']})"
            + (
                f"; TTFT p50 agent - native = **{r['ttft_p50_delta_ms']} ms** (target <= 5 ms)"
                if "ttft_p50_delta_ms" in r
                else ""
            )
            + f": {verdict(r['pass'])}",
            "",
        ]
    if "conversation" in sc:
        r = sc["conversation"]
        w = r["window"]
        n = r["agent"]["turns"]
        lines += [
            f"### 3. One conversation, {n} turns in sequence",
            "",
            f"| side | errors | mean turns 1-{w} (ms) | mean turns {n - w + 1}-{n} (ms) | ratio "
            "| reply words, first / last turns |",
            "|---|---|---|---|---|---|",
        ]
        for side, model in (("native", NATIVE), ("agent", AGENT)):
            s = r[side]
            lines.append(
                f"| {model} | {s['errors']} | {s['first_mean_ms']} | {s['last_mean_ms']} "
                f"| {s['last_over_first']} | {s.get('first_reply_words', '—')} / "
                f"{s.get('last_reply_words', '—')} |"
            )
        lines += ["", f"agent ratio target <= {r['target']}: {verdict(r['pass'])}", ""]
    if "soak" in sc:
        r = sc["soak"]
        lines += [
            f"### 4. {r['streams']} concurrent streams for {report.sizes.soak_seconds:g} s",
            "",
            "| side | requests | errors | req/s | latency p50 / p95 / p99 (ms) "
            "| loop lag p50 / p95 / p99 / max (ms) |",
            "|---|---|---|---|---|---|",
        ]
        for side, model in (("native", NATIVE), ("agent", AGENT)):
            s = r[side]
            lat, lag = s["latency_ms"], s["event_loop_lag"]
            lines.append(
                f"| {model} | {s['requests']} | {s['errors']} | {s['rps']} | "
                f"{lat['p50']} / {lat['p95']} / {lat['p99']} | "
                f"{lag['p50_ms']:.1f} / {lag['p95_ms']:.1f} / {lag['p99_ms']:.1f} / "
                f"{lag['max_ms']:.1f} |"
            )
        lines += [
            "",
            f"agent: 0 errors and lag p99 <= {r['lag_p99_target_ms']:g} ms: {verdict(r['pass'])}",
            "",
            f"The same loop lag by concurrency ({report.sizes.floor_seconds:g} s each), "
            "LiteLLM's own floor on the native side:",
            "",
            "| streams | req/s native / agent | errors | loop lag p50 native / agent (ms) "
            "| loop lag p99 native / agent (ms) |",
            "|---|---|---|---|---|",
        ]
        for level in [*r.get("lag_by_concurrency", []), r]:
            n, a = level["native"], level["agent"]
            nl, al = n["event_loop_lag"], a["event_loop_lag"]
            lines.append(
                f"| {level['streams']} | {n['rps']} / {a['rps']} | "
                f"{n['errors'] + a['errors']} | {nl['p50_ms']:.1f} / {al['p50_ms']:.1f} | "
                f"{nl['p99_ms']:.1f} / {al['p99_ms']:.1f} |"
            )
        lines.append("")
    if "memory" in sc:
        r = sc["memory"]
        a = r["agent"]
        series = ", ".join(f"{n}: {mb}" for n, mb in r["rss_mb"])
        lines += [
            f"### 5. {a['requests']} requests over {r['users']} users and conversations",
            "",
            f"{a['errors']} errors, {a['rps']} req/s (one in four streaming). Proxy RSS grew "
            f"**{r['rss_growth_mb']} MB** (target <= {r['target_growth_mb']:g}), "
            f"**{r['rss_growth_second_half_mb']} MB** over the second half (flat: <= "
            f"{r['target_second_half_mb']:g}): {verdict(r['pass'])}",
            "",
            f"RSS (MB) after n requests: {series}",
            "",
        ]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few requests per scenario")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument(
        "--scenarios",
        default="non_streaming,streaming,conversation,soak,memory",
        help="comma-separated subset (default: all)",
    )
    parser.add_argument(
        "--keep-dont-write-bytecode",
        action="store_true",
        help="pass PYTHONDONTWRITEBYTECODE on to the proxy (reproduces the sandbox's slower floor)",
    )
    args = parser.parse_args(argv)
    command = "python -m benchmarks.run" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
    )
    command = command.strip()
    sizes = SMOKE if args.smoke else FULL
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    meta = machine() | {"command": command, "smoke": args.smoke}
    meta["proxy_writes_bytecode"] = not (
        args.keep_dont_write_bytecode and bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    )
    report = asyncio.run(run(sizes, scenarios, meta, not args.keep_dont_write_bytecode))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"meta": report.meta, "sizes": asdict(report.sizes), "scenarios": report.scenarios},
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

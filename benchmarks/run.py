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

This module is the entry point (arguments and the run order); the rest of the harness:
``settings`` (constants, sides, goals, sizes), ``servers`` (starting and stopping the servers),
``load`` (the async load generator and summaries), ``scenarios`` (what each scenario measures),
``report`` (the JSON's contents and the markdown block) and ``profile`` (py-spy).

    python -m benchmarks.run            # full run (about 15 minutes on 2 quiet cores)
    python -m benchmarks.run --smoke    # a few requests per scenario: checks the harness only
    python -m benchmarks.run --scenarios '' --profile   # only py-spy's profile of the agent path
    python -m benchmarks.run --scenarios conversation --size turns=200   # one scenario, resized
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.load import Load, Sample, burst
from benchmarks.report import Report, machine, markdown, write_markdown
from benchmarks.scenarios import (
    chats,
    compare,
    conversation,
    history,
    memory,
    profiled,
    same_text,
    scaling,
    soak,
)
from benchmarks.servers import Side, rss_bytes, running_agentllm, running_agentos, running_stock
from benchmarks.settings import (
    AGENT,
    AGENT_MODEL,
    AGENTOS,
    AGENTOS_AGENT,
    BASELINE,
    CUSTOM,
    CUSTOM_MODEL,
    FULL,
    NATIVE,
    NATIVE_MODEL,
    ROOT,
    SMOKE,
    STOCK,
    Sizes,
)


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

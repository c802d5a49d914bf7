"""The scenarios: each applies one load to the sides and returns its measures and verdict."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import profile
from benchmarks.load import Load, Sample, burst, for_seconds, summarize
from benchmarks.servers import Side, rss_bytes
from benchmarks.settings import (
    AGENT,
    AGENTOS,
    AGENTOS_TARGETS,
    CONVERSATIONS,
    LABELS,
    NATIVE,
    PROMPT,
    REPLY_WORDS,
    ROOT,
    SCALE_LABELS,
    STOCK,
    TARGETS,
    Sizes,
)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def ratios(result: dict[str, Any], key: Callable[[dict[str, Any]], float]) -> dict[str, float]:
    """Each side's measure over the stock side's (``key`` picks the measure)."""
    floor = key(result[STOCK])
    others = [name for name in LABELS if name in result and name != STOCK]
    return {f"{name}/{STOCK}": ratio(key(result[name]), floor) for name in others}


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

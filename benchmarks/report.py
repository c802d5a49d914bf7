"""The report: the machine it ran on, the JSON's contents and the markdown block of
docs/BENCHMARKS.md (tables, ratios, verdicts)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import profile
from benchmarks.settings import (
    AGENT,
    CONVERSATIONS,
    LABELS,
    MARK_END,
    MARK_START,
    NATIVE,
    REPLY_WORDS,
    ROOT,
    SCALE_LABELS,
    Sizes,
)


@dataclass
class Report:
    sizes: Sizes
    meta: dict[str, Any]
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] | None = None  # --profile: py-spy's view of the agent's server


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

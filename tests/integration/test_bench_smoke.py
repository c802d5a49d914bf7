"""``make bench`` in smoke mode: the harness runs end to end and its report is well formed.

Only the shape of the report is checked here; speed is never asserted in tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT

# Eight scenarios, a PostgreSQL cluster and seven servers: minutes on a busy 2-core machine.
SMOKE_SECONDS = 840
pytestmark = [pytest.mark.integration, pytest.mark.timeout(SMOKE_SECONDS + 60)]

SCENARIOS = [
    "non_streaming",
    "streaming",
    "conversation",
    "soak",
    "memory",
    "scaling",
    "chats",
    "history",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    markdown = out / "BENCHMARKS.md"
    markdown.write_text("# Benchmarks\n\nWritten by hand, kept.\n")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    command = [sys.executable, "-m", "benchmarks.run", "--smoke", "--profile"]
    command += ["--markdown", str(markdown), "--json", str(out / "bench.json")]
    command += ["--profile-dir", str(out / "profiles")]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _, stderr = process.communicate(timeout=SMOKE_SECONDS)
    except subprocess.TimeoutExpired:
        # SIGTERM: the harness stops its servers and the database cluster on the way out.
        process.terminate()
        _, stderr = process.communicate(timeout=50)
        pytest.fail(f"the smoke run took over {SMOKE_SECONDS} s:\n{stderr[-20000:]}")
    assert process.returncode == 0, stderr[-20000:]  # with the servers' log tails
    return json.loads((out / "bench.json").read_text()), markdown.read_text()


def test_smoke_run_reports_every_scenario_with_machine_and_versions(report):
    data, _ = report
    assert data["meta"]["smoke"] is True
    assert data["meta"]["command"].startswith("python -m benchmarks.run --smoke --profile")
    assert {"date", "cpus", "python", "versions"} <= set(data["meta"])
    assert set(data["meta"]["versions"]) >= {"litellm", "agno"}
    assert list(data["scenarios"]) == SCENARIOS


SIDES = ("stock", "custom", "native", "agent", "agentos")


def test_every_side_answers_every_request_and_streams_carry_content(report):
    scenarios = report[0]["scenarios"]
    for name in ("non_streaming", "streaming"):
        for side in SIDES:
            result = scenarios[name][side]
            assert result["requests"] > 0 and result["errors"] == 0, (name, side, result)
            assert {"p50", "p95", "p99"} <= set(result["latency_ms"])
        for side in SIDES:
            assert scenarios["streaming"][side]["ttft_ms"]["p50"] > 0
    # Every other side streams its reply's pieces a chunk each, about as many on every side; ours
    # sends the pieces already made as one chunk, so at most as many (the same words: same_text).
    chunks = [scenarios["streaming"][side]["chunks_mean"] for side in SIDES if side != "agent"]
    assert max(chunks) - min(chunks) <= 2, chunks
    assert 1 <= scenarios["streaming"]["agent"]["chunks_mean"] <= max(chunks)


def test_every_ratio_is_taken_against_the_stock_litellm_cli(report):
    scenarios = report[0]["scenarios"]
    for name in ("non_streaming", "streaming"):
        ratios = scenarios[name]["rps_ratio"]
        assert set(ratios) == {
            "custom/stock",
            "native/stock",
            "agent/stock",
            "agentos/stock",
            "agent/native",
        }
        assert all(isinstance(value, float) and value > 0 for value in ratios.values())
        assert set(scenarios[name]["rps_ratio_target"]) == {"native/stock", "agent/stock"}
    assert set(scenarios["conversation"]["latency_ratio"]) == {"native/stock", "agent/stock"}
    assert set(scenarios["soak"]["rps_ratio"]) == {"native/stock", "agent/stock"}


def test_agentos_serves_the_same_agent_and_is_compared_in_both_modes(report):
    data, markdown = report
    same = data["meta"]["same_text"]
    for mode in ("non_streaming", "streaming"):
        # The offline model's capped reply, word for word, through both servers.
        assert same[mode]["same"] is True, same
        assert same[mode]["agent"].split()[0] == "echo:"
    assert same["pass"] is True
    scenarios = data["scenarios"]
    expected = {
        "non_streaming": {"rps agent/agentos"},
        "streaming": {"rps agent/agentos", "ttft_p50 agentos/agent"},
    }
    for name, keys in expected.items():
        result = scenarios[name]
        assert set(result["agentos_ratio"]) == keys
        assert all(value > 0 for value in result["agentos_ratio"].values())
        assert result["agentos_target"] == dict.fromkeys(keys, 1.0)
        assert isinstance(result["agentos_pass"], bool)
    assert "Against Agno's AgentOS" in markdown and "Same text delivered" in markdown


def test_conversation_soak_and_memory_report_their_measures(report):
    scenarios = report[0]["scenarios"]
    for side in ("stock", "native"):
        assert scenarios["conversation"][side]["errors"] == 0
        assert scenarios["soak"][side]["errors"] == 0
    assert "event_loop_lag" not in scenarios["soak"]["stock"]  # only agentllm has the probe
    conversation = scenarios["conversation"]["agent"]
    assert conversation["errors"] == 0 and conversation["last_over_first"] > 0
    # Turn 1 creates the conversation: turns 2-3 against the last two of six (smoke sizes).
    assert conversation["first_turns"] == [2, 3] and conversation["last_turns"] == [5, 6]
    assert scenarios["conversation"]["turn_pair"] == "turn 6 / turn 2"
    # Early and late turns get replies of the same size, so the ratio measures the history's
    # cost (the offline model's echo would otherwise grow with the history it is sent).
    assert conversation["first_reply_words"] == conversation["last_reply_words"] > 0
    soak = scenarios["soak"]["agent"]
    assert soak["errors"] == 0
    assert soak["event_loop_lag"]["samples"] > 0
    assert {"p50_ms", "p95_ms", "p99_ms", "max_ms"} <= set(soak["event_loop_lag"])
    # The floor: the same lag measure at lower concurrency, both sides, for every level.
    floor = scenarios["soak"]["lag_by_concurrency"]
    assert [level["streams"] for level in floor] == [1, 2]
    for level in floor:
        for side in ("native", "agent"):
            assert level[side]["errors"] == 0 and level[side]["event_loop_lag"]["samples"] > 0
    memory = scenarios["memory"]
    assert memory["agent"]["errors"] == 0
    assert len(memory["rss_mb"]) >= 2
    assert isinstance(memory["rss_growth_mb"], float)


def test_scaling_compares_workers_and_databases_next_to_litellms_own_workers(report):
    scaling = report[0]["scenarios"]["scaling"]
    for side in ("stock-1w", "stock-2w", "agent-sqlite", "agent-pg-1w", "agent-pg-2w"):
        assert scaling[side]["requests"] > 0 and scaling[side]["errors"] == 0, (side, scaling)
    for key in ("postgres_over_sqlite", "native_2w_over_1w", "agent_2w_over_1w"):
        assert scaling[key] > 0
    expected = round(scaling["agent_2w_over_1w"] / scaling["native_2w_over_1w"], 3)
    assert scaling["scaling_vs_native"] == expected


def test_chats_send_whole_histories_with_replies_of_one_size(report):
    chats = report[0]["scenarios"]["chats"]
    for side in ("stock", "native", "agent"):
        result = chats[side]
        # Every chat ran every turn twice (two passes in alternating order), without an error.
        assert result["requests"] == 2 * chats["chats"] * chats["turns"], result
        assert result["errors"] == 0 and result["ttft_ms"]["p50"] > 0
    # The agent's reply is capped by max_tokens, whatever the history: never more chunks than the
    # mock's (pieces already made go as one chunk), and replies of one size on every turn.
    chunks = [chats[side]["chunks_mean"] for side in ("stock", "native")]
    assert max(chunks) - min(chunks) <= 2, chunks
    assert 1 <= chats["agent"]["chunks_mean"] <= max(chunks)
    assert set(chats["rps_ratio"]) == {"native/stock", "agent/stock"}


def test_whole_history_growth_is_compared_with_litellms_native_mock(report):
    history = report[0]["scenarios"]["history"]
    for side in ("stock", "native", "agent"):
        result = history[side]
        assert result["turns"] == 6 and result["errors"] == 0, result
        assert result["first_turns"] == [2, 3] and result["last_turns"] == [5, 6]
        assert result["last_over_first"] > 0
    # The agent's replies are capped: its history grows by the same amount every turn.
    agent = history["agent"]
    assert agent["first_reply_words"] == agent["last_reply_words"] > 0
    expected = round(agent["last_over_first"] / history["native"]["last_over_first"], 3)
    assert history["growth_over_native"] == expected


def test_profile_records_the_agent_server_and_names_the_packages(report):
    data, markdown = report
    profile = data["profile"]
    assert "error" not in profile, profile.get("error")
    assert profile["load"]["requests"] > 0 and profile["load"]["errors"] == 0
    summary = profile["summary"]
    assert summary["samples"] > 0
    packages = {row["package"] for row in summary["packages"]}
    # The agent path runs through LiteLLM's proxy, our provider and Agno.
    assert {"litellm", "agentllm", "agno"} <= packages, packages
    assert summary["top_self"] and all(row["pct"] > 0 for row in summary["top_self"])
    assert "### Profile of the agent path" in markdown
    # py-spy's raw stacks are kept, gzipped, where --profile-dir says.
    raw = Path(profile["raw"])
    assert raw.name.endswith("-profile-smoke.txt.gz") and raw.stat().st_size > 0


def test_markdown_block_is_generated_between_markers_and_the_rest_is_kept(report):
    _, markdown = report
    assert markdown.startswith("# Benchmarks\n\nWritten by hand, kept.\n")
    start, end = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
    assert markdown.count(start) == 1 and markdown.count(end) == 1
    block = markdown.split(start, 1)[1].split(end, 1)[0]
    for heading in (
        "### 1. Non-streaming",
        "### 2. Streaming",
        "### 3. One conversation",
        "### 4.",
        "loop lag by concurrency",
        "### 5.",
        "### 6. Workers and databases",
        "### 7.",
        "### 8. One conversation",
    ):
        assert heading in block
    assert "python -m benchmarks.run --smoke" in block
    assert "stock litellm CLI" in block and "fixed-reply CustomLLM" in block

"""The harness's constants: paths, the key, models, sides and their labels, goals and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

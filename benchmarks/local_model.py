"""Measure the local model (``AGENTLLM_MODEL=local``): load, first token, tokens/s, memory, probes.

Runs ``agentllm.models.local.LocalModel`` directly, in this process, the way the proxy runs it
(its streaming path, with the GGUF's own chat template). Prints one JSON object; the numbers in
docs/local-model.md come from it.

    uv run --extra local python -m benchmarks.local_model            # the bundled SmolLM2
    uv run --extra local python -m benchmarks.local_model FILE.gguf  # any GGUF file
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from agno.models.message import Message

from agentllm.models.local import LocalModel, load, model_file

# Quality probes: what a reader checks by eye in the printed replies (no score is computed).
PROBES: list[tuple[str, list[dict[str, str]]]] = [
    (
        "follows an instruction",
        [{"role": "user", "content": "Reply with exactly the word OK and nothing else."}],
    ),
    ("lists", [{"role": "user", "content": "List three colours, one per line."}]),
    (
        "answers a release question from its context",
        [
            {
                "role": "system",
                "content": "The latest release of project foo is 2.3.1, released 2026-11-02.",
            },
            {"role": "user", "content": "What is the latest release of foo?"},
        ],
    ),
    (
        "release notes",
        [
            {
                "role": "user",
                "content": "Write two bullet points of release notes for: fixed login crash; "
                "added dark mode.",
            }
        ],
    ),
]


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(model: LocalModel, messages: list[Message]) -> dict[str, Any]:
    """One streamed reply: time to first text, tokens per second, usage, the text."""
    start = time.perf_counter()
    first = None
    text = ""
    usage = None
    async for delta in model.ainvoke_stream(messages, Message(role="assistant")):
        if delta.content:
            first = first if first is not None else time.perf_counter() - start
            text += delta.content
        if delta.response_usage is not None:
            usage = delta.response_usage
    elapsed = time.perf_counter() - start
    tokens = usage.output_tokens if usage else 0
    return {
        "first_token_s": round(first or elapsed, 3),
        "seconds": round(elapsed, 2),
        "completion_tokens": tokens,
        "prompt_tokens": usage.input_tokens if usage else 0,
        "tokens_per_s": round(tokens / elapsed, 1) if elapsed else None,
        "finish_reason": (delta.provider_data or {}).get("finish_reason"),
        "text": text,
    }


async def main(path: str | None) -> dict[str, Any]:
    spec = f"llamacpp:{path}" if path else "local"
    file = model_file(spec)
    before = rss_mb()
    start = time.perf_counter()
    import llama_cpp  # noqa: F401  (import time is part of the first request's cost)

    imported = time.perf_counter() - start
    load(file)
    loaded = time.perf_counter() - start - imported
    model = LocalModel(path=path, temperature=0.2, seed=1)
    results: dict[str, Any] = {
        "file": file.name,
        "file_mb": round(file.stat().st_size / 1e6, 1),
        "import_s": round(imported, 2),
        "load_s": round(loaded, 2),
    }
    long = [Message(role="user", content="Write a long story about a lighthouse keeper.")]
    model.max_tokens = 200
    results["long_reply"] = await timed(model, long)
    model.max_tokens = 128
    results["probes"] = {
        name: await timed(model, [Message(role=m["role"], content=m["content"]) for m in msgs])
        for name, msgs in PROBES
    }
    results["rss_mb_before_load"] = round(before, 0)
    results["rss_mb_peak"] = round(rss_mb(), 0)
    return results


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else None
    if target and not Path(target).is_file():
        sys.exit(f"no such file: {target}")
    print(json.dumps(asyncio.run(main(target)), indent=2))

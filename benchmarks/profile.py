"""``python -m benchmarks.run --profile``: py-spy samples the agentllm server under load.

py-spy (a dev dependency) attaches to the running server by pid (ptrace: root here) and writes
its ``--format raw`` output: one line per distinct stack, ``frame;frame;...;frame count``, each
frame ``function (file:line)``, outermost first (``--full-filenames``: LiteLLM puts some of its
own folders on ``sys.path``, and py-spy's short names would then lose the package).
:func:`summarize_raw` aggregates it the way ``py-spy top`` does, by function and by package, for
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 100  # samples per second (py-spy's default)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_LIB = re.compile(r"/lib/python\d+\.\d+/")
# Innermost frames of threads that wait for work: py-spy counts them as active (they wait in C
# without a syscall it recognises as idle), so they are counted apart and left out of the shares.
WAITING = frozenset(
    {
        "_worker (concurrent/futures/thread.py)",  # a thread-pool thread waiting on its queue
        "Condition.wait (threading.py)",
        "Event.wait (threading.py)",
        "Queue.get (queue.py)",
        "Thread._wait_for_tstate_lock (threading.py)",
    }
)


def py_spy() -> str:
    """The py-spy executable beside this interpreter, else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "py-spy")


def start_record(pid: int, seconds: float, output: Path) -> subprocess.Popen[str]:
    """py-spy recording ``pid`` for ``seconds`` into ``output`` (raw format), started now."""
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [py_spy(), "record", "--pid", str(pid), "--rate", str(RATE)]
    command += ["--duration", str(max(1, round(seconds))), "--format", "raw", "--full-filenames"]
    command += ["--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_record(process: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    """Wait for py-spy; its exit code and output (the exact error when it could not attach)."""
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return process.returncode, out or ""


def compress(path: Path) -> Path:
    """``path`` gzipped beside itself (``.gz``), the original removed."""
    packed = path.with_name(path.name + ".gz")
    with path.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    path.unlink()
    return packed


def package_of(file: str) -> str:
    """The package a frame's file belongs to: ``litellm``, ``agno``, ``agentllm``, ``asyncio``...
    (a file outside any package is named by its stem; frames without a file are ``native``)."""
    if not file or file.startswith("<"):  # <frozen runpy>, <string>
        return file.strip("<>").removeprefix("frozen ") if file else "native"
    path = file.replace("\\", "/")
    if "site-packages/" in path:
        path = path.rsplit("site-packages/", 1)[1]
    elif "/src/agentllm/" in path:
        path = "agentllm/" + path.rsplit("/src/agentllm/", 1)[1]
    elif _LIB.search(path):
        path = _LIB.split(path, maxsplit=1)[1]
    head = path.lstrip("/").split("/", 1)[0]
    return head.removesuffix(".py") or "native"


def short_file(file: str) -> str:
    """``file`` from its package on: ``litellm/router.py``, ``asyncio/runners.py``."""
    path = file.replace("\\", "/")
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    if _LIB.search(path):
        return _LIB.split(path, maxsplit=1)[1]
    return path


def parse_frame(frame: str) -> tuple[str, str]:
    """``function (file:line)`` -> (``function (short file)``, package)."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), "native"
    file = match["file"]
    return f"{match['function']} ({short_file(file)})", package_of(file)


def summarize_raw(text: str, top: int = 15) -> dict[str, Any]:
    """py-spy ``top``-style aggregation of raw output: per package, the share of samples whose
    innermost frame is in it (self) and that pass through it (total); the top functions by
    self and by total samples. Samples of threads waiting for work (``WAITING``) are counted
    apart and left out."""
    samples = waiting = 0
    own_fn: Counter[str] = Counter()
    all_fn: Counter[str] = Counter()
    own_pkg: Counter[str] = Counter()
    all_pkg: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count_text = line.strip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(frame) for frame in stack.split(";")]
        leaf_fn, leaf_pkg = frames[-1]
        if leaf_fn in WAITING:
            waiting += count
            continue
        samples += count
        own_fn[leaf_fn] += count
        own_pkg[leaf_pkg] += count
        for function in {fn for fn, _ in frames}:
            all_fn[function] += count
        for package in {pkg for _, pkg in frames}:
            all_pkg[package] += count

    def share(n: int) -> float:
        return round(100 * n / samples, 1) if samples else 0.0

    return {
        "samples": samples,
        "waiting_samples": waiting,
        "packages": sorted(
            (
                {"package": pkg, "self_pct": share(own_pkg[pkg]), "total_pct": share(n)}
                for pkg, n in all_pkg.items()
            ),
            key=lambda row: (-row["self_pct"], -row["total_pct"], row["package"]),
        ),
        "top_self": [{"function": fn, "pct": share(n)} for fn, n in own_fn.most_common(top)],
        "top_total": [{"function": fn, "pct": share(n)} for fn, n in all_fn.most_common(top)],
    }


def markdown(result: dict[str, Any]) -> list[str]:
    """The profile's section of the generated block."""
    if "error" in result:
        return [f"py-spy could not record: `{result['error']}`", ""]
    s = result["summary"]
    lines = [
        f"py-spy ({RATE} samples/s, idle time left out) on the agentllm server during "
        f"{result['seconds']:g} s of non-streaming load on the agent (concurrency "
        f"{result['concurrency']}, {result['load']['rps']} req/s): {s['samples']} samples "
        f"({s['waiting_samples']} more of threads waiting for work, left out); raw stacks in "
        f"`{result['raw']}`. Self: the innermost frame is in the package; total: the stack "
        "passes through it.",
        "",
        "| package | self % | total % |",
        "|---|---|---|",
        *(
            f"| {row['package']} | {row['self_pct']} | {row['total_pct']} |"
            for row in s["packages"]
            if row["self_pct"] >= 0.5
        ),
        "",
        "Top functions by self time:",
        "",
        "| function | self % |",
        "|---|---|",
        *(f"| `{row['function']}` | {row['pct']} |" for row in s["top_self"]),
        "",
    ]
    return lines

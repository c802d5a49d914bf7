"""The async load generator: one request as the client saw it, summaries and percentiles."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from benchmarks.servers import Server, Side
from benchmarks.settings import KEY, PROMPT


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
        return await self._post(
            f"{side.server.url}/v1/chat/completions",
            stream,
            lambda reply: reply["choices"][0]["message"]["content"],
            self._read_stream,
            json=body,
            headers=headers,
        )

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
        return await self._post(
            f"{side.server.url}/agents/{side.model}/runs",
            stream,
            lambda reply: reply.get("content"),
            self._read_agentos_stream,
            data=form,
        )

    async def _post(
        self,
        url: str,
        stream: bool,
        content_of: Callable[[Any], Any],
        read_stream: Callable[[aiohttp.ClientResponse, float], Awaitable[Sample]],
        **request: Any,
    ) -> Sample:
        """POST ``request`` to ``url``; one sample of the answer: an HTTP error, the non-streamed
        reply (its text picked by ``content_of``) or the stream (read by ``read_stream``)."""
        start = time.perf_counter()
        try:
            async with self.session.post(url, **request) as resp:
                if resp.status != 200:
                    detail = (await resp.text())[:120]
                    return Sample(
                        time.perf_counter() - start, error=f"HTTP {resp.status}: {detail}"
                    )
                if not stream:
                    content = content_of(await resp.json())
                    if not content:
                        return Sample(time.perf_counter() - start, error="empty reply")
                    return Sample(
                        time.perf_counter() - start,
                        chunks=1,
                        words=len(content.split()),
                        text=content,
                    )
                return await read_stream(resp, start)
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

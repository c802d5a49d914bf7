"""The bench-only event-loop lag probe: off by default, measures drift, serves its window."""

from __future__ import annotations

import asyncio
import json
import time

from agentllm.config import settings
from agentllm.proxy.lag import LAG_PATH, LagMonitor, LagProbe, percentile, with_lag_probe


async def passthrough(scope, receive, send):
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def call(app, path):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": path}, receive, send)
    return sent


def test_probe_is_off_unless_bench_is_set(monkeypatch):
    monkeypatch.delenv("AGENTLLM_BENCH", raising=False)
    assert with_lag_probe(passthrough, settings().bench) is passthrough
    monkeypatch.setenv("AGENTLLM_BENCH", "0")
    settings.cache_clear()
    assert with_lag_probe(passthrough, settings().bench) is passthrough
    monkeypatch.setenv("AGENTLLM_BENCH", "1")
    settings.cache_clear()
    assert isinstance(with_lag_probe(passthrough, settings().bench), LagProbe)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([], 99) == 0


async def test_monitor_records_drift_of_a_blocked_loop_and_starts_a_new_window():
    monitor = LagMonitor(interval=0.005)
    monitor.start()
    await asyncio.sleep(0.03)
    time.sleep(0.05)  # block the loop: the next wake-up is late by about this much
    await asyncio.sleep(0.03)
    window = monitor.window()
    monitor.stop()
    assert window["samples"] >= 2
    assert window["max_ms"] >= 20
    assert monitor.window()["samples"] <= 1


async def test_probe_serves_lag_and_passes_other_paths_through():
    probe = LagProbe(passthrough, LagMonitor(interval=0.005))
    await asyncio.sleep(0)
    other = await call(probe, "/v1/models")
    assert other[0]["status"] == 204
    await asyncio.sleep(0.02)
    served = await call(probe, LAG_PATH)
    assert served[0]["status"] == 200
    probe.monitor.stop()
    body = json.loads(served[1]["body"])
    assert set(body) >= {"samples", "p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert body["samples"] >= 1

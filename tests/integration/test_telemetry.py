"""With default settings the proxy sends no traces anywhere (OpenTelemetry's SDK is installed)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.integration.conftest import start_proxy, stop_proxy

pytestmark = pytest.mark.integration

OTLP_DEFAULT_PORTS = (4317, 4318)  # gRPC and HTTP, what an SDK with no endpoint set would use


@pytest.fixture
def otlp_listeners() -> Iterator[list[socket.socket]]:
    listeners = []
    try:
        for port in OTLP_DEFAULT_PORTS:
            listener = socket.socket()
            try:
                listener.bind(("127.0.0.1", port))
            except OSError as exc:
                listener.close()
                pytest.skip(f"port {port} is taken on this machine, cannot watch it: {exc}")
            listener.listen(16)
            listener.setblocking(False)
            listeners.append(listener)
        yield listeners
    finally:
        for listener in listeners:
            listener.close()


def test_no_connection_to_an_otlp_collector(tmp_path, otlp_listeners):
    proxy = start_proxy(tmp_path)
    try:
        client = proxy.client()
        for stream in (False, True):
            reply = client.chat.completions.create(
                model="agno/release-manager",
                messages=[{"role": "user", "content": "hello"}],
                stream=stream,
            )
            if stream:
                assert "".join(c.choices[0].delta.content or "" for c in reply if c.choices)
            else:
                assert reply.choices[0].message.content
    finally:
        stop_proxy(proxy)  # returns once the process exited: any exporter has flushed by then
    assert proxy.process.returncode is not None
    for listener in otlp_listeners:
        with pytest.raises(BlockingIOError):
            connection, peer = listener.accept()
            connection.close()
            pytest.fail(f"the proxy connected to {listener.getsockname()} from {peer}")

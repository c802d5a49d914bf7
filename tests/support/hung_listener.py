"""A loopback port that takes TCP connections and never answers: a Jira that hangs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class HungListener:
    """The listening socket; the kernel completes each connection, nobody ever reads it."""

    sock: socket.socket
    url: str
    seen: list[socket.socket] = field(default_factory=list)

    def connections(self) -> int:
        """How many connections have reached the port so far (open or already closed)."""
        while True:
            try:
                accepted, _ = self.sock.accept()
            except BlockingIOError:
                return len(self.seen)
            self.seen.append(accepted)


@contextmanager
def hung_listener() -> Iterator[HungListener]:
    """A :class:`HungListener` on 127.0.0.1 until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.setblocking(False)
        listener = HungListener(sock, f"http://127.0.0.1:{sock.getsockname()[1]}")
        try:
            yield listener
        finally:
            for accepted in listener.seen:
                accepted.close()
